/** The token containers' images, pinned (the newest releases seen; check before bumping). */

/** curl, for Entra's token endpoint, the GKE metadata server and the Cloud SQL Admin API. */
export const CURL_IMAGE = "docker.io/curlimages/curl:8.23.0";

/** The AWS CLI (v2 >= 2.15 reads EKS Pod Identity credentials). */
export const AWS_CLI_IMAGE = "public.ecr.aws/aws-cli/aws-cli:2.36.46";

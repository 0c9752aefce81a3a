-- V001: the roles and the schema of the audit ledger.
--
-- Run by migrate.sh, inside one transaction, as the migrating role: the owner of the
-- database. That is a login with CREATEROLE (as the admin user of RDS, Azure Flexible
-- Server and Cloud SQL is), or a NOLOGIN role with CREATEROLE that owns the database and
-- that the migrating login is a member of, selected at connection with
-- PGOPTIONS='-c role=audit_migrator' (the pattern for cloud identities, whose own role
-- an admin may not alter). The group roles below may also exist already, created by an
-- admin (e.g. CloudNativePG's managed roles): the migrating role then needs only the
-- membership in audit_owner, granted by that admin, and no CREATEROLE.
--
-- Roles are group roles without LOGIN; the login roles of each cloud are created later
-- and granted membership:
--   audit_owner       owns the schema and every object in it; runs the SECURITY DEFINER
--                     functions. Nobody logs in as it.
--   audit_writer      appends (audit.append, audit.append_batch) and reads.
--   audit_reader      reads and verifies (audit.verify).
--   audit_maintainer  creates partitions ahead and drops expired ones (the schedule).
-- Roles are cluster-wide in PostgreSQL: keep one audit ledger per PostgreSQL server, or
-- restrict CONNECT so that a member of these roles reaches only its own database.

-- The row hashes count text in UTF-8 bytes (see audit.row_hash).
DO $encoding$
BEGIN
  IF pg_catalog.getdatabaseencoding() <> 'UTF8' THEN
    RAISE EXCEPTION 'the audit ledger needs a UTF8 database; % is %', current_database(), pg_catalog.getdatabaseencoding();
  END IF;
END
$encoding$;

DO $roles$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['audit_owner', 'audit_writer', 'audit_reader', 'audit_maintainer'] LOOP
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    END IF;
  END LOOP;
END
$roles$;

-- The migrating role must be able to SET ROLE audit_owner, to create the schema for it
-- and to act as it below and in the later migrations. It may already (a membership
-- granted by an admin); otherwise it grants itself one: with CREATEROLE on PostgreSQL 15;
-- on 16+ only with the ADMIN OPTION on audit_owner, which a CREATEROLE role holds on the
-- roles it created (with neither SET nor INHERIT). That ADMIN-only membership makes
-- pg_has_role(..., 'MEMBER') true on 16+, so only 'SET' (unknown before 16) tells there.
DO $owner$
DECLARE
  can_set boolean := pg_catalog.pg_has_role(current_user, 'audit_owner',
    CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'SET' ELSE 'MEMBER' END);
BEGIN
  IF NOT can_set THEN
    EXECUTE format('GRANT audit_owner TO %I', current_user);
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE EXCEPTION 'the migrating role % may not SET ROLE audit_owner and cannot grant itself that role', current_user
    USING HINT = 'audit_owner was created by another role: have it (or a superuser) run GRANT audit_owner TO ' || quote_ident(current_user),
          DETAIL = SQLERRM;
END
$owner$;

CREATE SCHEMA audit AUTHORIZATION audit_owner;
-- The rest as the owner, as in every later migration: the grants are then the owner's
-- own, whatever INHERIT the migrating role's membership has.
SET LOCAL ROLE audit_owner;
-- Only the group roles may look into the schema; what each may do is granted per object.
REVOKE ALL ON SCHEMA audit FROM PUBLIC;
GRANT USAGE ON SCHEMA audit TO audit_writer, audit_reader, audit_maintainer;

-- PostgreSQL grants EXECUTE on every new function to PUBLIC by default; the ledger's
-- functions (several are SECURITY DEFINER) are granted one by one instead. This default
-- can only be changed for a role as a whole (IN SCHEMA cannot revoke a built-in default).
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

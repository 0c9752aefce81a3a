/**
 * The naive baseline the bench compares against: what a program pays when it imports
 * the five provider packages by their package root instead of one module per resource
 * before synthesizing (deliberately, for the comparison). Preloaded with `node -r`; the one file the deep-import test allows.
 */
import "@cdktf/provider-aws";
import "@cdktf/provider-azurerm";
import "@cdktf/provider-google";
import "@cdktf/provider-kubernetes";
import "@cdktf/provider-helm";

-- V001: the roles and the schema of the audit ledger.
--
-- Run by migrate.sh as the migrating login (the database owner with CREATEROLE, as the
-- admin user of RDS, Azure Flexible Server and Cloud SQL is), inside one transaction.
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

-- The migrating login must be a member of audit_owner to create the schema for it and to
-- SET ROLE to it below. On PostgreSQL 16+ a CREATEROLE login holds ADMIN OPTION (but no
-- membership) on the roles it created, so it grants itself the membership here.
GRANT audit_owner TO CURRENT_USER;

CREATE SCHEMA audit AUTHORIZATION audit_owner;
-- Only the group roles may look into the schema; what each may do is granted per object.
REVOKE ALL ON SCHEMA audit FROM PUBLIC;
GRANT USAGE ON SCHEMA audit TO audit_writer, audit_reader, audit_maintainer;

-- PostgreSQL grants EXECUTE on every new function to PUBLIC by default; the ledger's
-- functions (several are SECURITY DEFINER) are granted one by one instead. This default
-- can only be changed for a role as a whole (IN SCHEMA cannot revoke a built-in default).
ALTER DEFAULT PRIVILEGES FOR ROLE audit_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- catalog: pins what users and tools read from the catalogs about the extension as a whole —
-- every function's volatility, strictness, parallel safety, SECURITY DEFINER and pinned
-- settings; a comment on every function, type, table and view (\df+ / \dt+ show them); and that
-- the extension is not relocatable and lives in schema credit_audit.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS credit_audit CASCADE;
CREATE EXTENSION credit_audit;
RESET client_min_messages;

SELECT extname, extversion, extrelocatable, extnamespace::regnamespace AS schema
  FROM pg_extension WHERE extname = 'credit_audit';

-- Every function of the extension with its markings: i/s/v volatility, strict, parallel
-- s(afe)/r(estricted)/u(nsafe), security definer, pinned settings.
SELECT p.oid::regprocedure AS function, p.provolatile AS vol, p.proisstrict AS strict,
       p.proparallel AS par, p.prosecdef AS secdef, p.proconfig AS settings
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'credit_audit'
 ORDER BY p.oid::regprocedure::text;

-- Objects without a comment (expect none, sequences aside).
SELECT 'function' AS kind, p.oid::regprocedure::text AS object
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'credit_audit'
 WHERE obj_description(p.oid, 'pg_proc') IS NULL
UNION ALL
SELECT 'relation', c.oid::regclass::text
  FROM pg_class c
  JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'credit_audit'
 WHERE c.relkind <> 'S' AND obj_description(c.oid, 'pg_class') IS NULL
UNION ALL
SELECT 'type', t.oid::regtype::text
  FROM pg_type t
  JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'credit_audit'
 WHERE obj_description(t.oid, 'pg_type') IS NULL
UNION ALL
SELECT 'view column', a.attrelid::regclass::text || '.' || a.attname
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid AND c.relkind = 'v'
  JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'credit_audit'
 WHERE a.attnum > 0 AND NOT a.attisdropped AND col_description(a.attrelid, a.attnum) IS NULL
 ORDER BY 1, 2;

-- Tables whose rows pg_dump keeps (pg_extension_config_dump), with their filters.
SELECT c::regclass AS config_table, coalesce(cond, '') AS filter
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS u(c, cond)
 WHERE e.extname = 'credit_audit'
 ORDER BY c::regclass::text;

-- Triggers the extension puts on its own tables (guarded subsidy, sanction audit, upserts).
SELECT tgrelid::regclass AS tbl, tgname, tgenabled, tgfoid::regproc AS function
  FROM pg_trigger
 WHERE tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'credit_audit'::regnamespace)
   AND NOT tgisinternal
 ORDER BY tgrelid::regclass::text, tgname;

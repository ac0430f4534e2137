-- credit_audit: a dropped guarded table leaves no registration behind (DESIGN.md "Guarding grant
-- tables").  The table's trigger goes with the table; its guarded_table row would stay (a
-- regclass does not follow its table), naming an OID that may later belong to another table.
-- The findings about the table's rows stay: they are what was paid.

CREATE FUNCTION credit_audit.forget_dropped_tables() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM credit_audit.guarded_table g
     USING pg_catalog.pg_event_trigger_dropped_objects() d
     WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
       AND d.objsubid OPERATOR(pg_catalog.=) 0
       AND g.tbl::pg_catalog.oid OPERATOR(pg_catalog.=) d.objid;
END
$$;
COMMENT ON FUNCTION credit_audit.forget_dropped_tables() IS
  'event trigger (sql_drop): removes the guarded_table registration of a dropped table, whoever drops it';
REVOKE ALL ON FUNCTION credit_audit.forget_dropped_tables() FROM PUBLIC;

CREATE EVENT TRIGGER credit_audit_forget_dropped_tables ON sql_drop
    EXECUTE FUNCTION credit_audit.forget_dropped_tables();

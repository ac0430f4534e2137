-- credit_audit: timeline_svg(), one enterprise's credit history as a picture (DESIGN.md
-- "Pictures"; implementation in src/svg.c).

CREATE FUNCTION credit_audit.timeline_svg(u credit_audit.uscc) RETURNS text
LANGUAGE c STABLE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'ca_timeline_svg';
COMMENT ON FUNCTION credit_audit.timeline_svg(credit_audit.uscc) IS
  'self-contained SVG of an enterprise: each listing as a band (fact, listed, removed), each guarded grant as a marker (flagged in red), a year axis';

-- svg: timeline_svg(u), one enterprise's listings and grants as a self-contained SVG.
-- Checked structurally: every picture parses as an XML document, and the elements drawn are
-- counted with XPath (bands per listing, markers per grant, red ones per flagged grant).
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS credit_audit CASCADE;
CREATE EXTENSION credit_audit;
RESET client_min_messages;
SET DateStyle = 'ISO, YMD';

\set ECHO none
\i test/data/seed_case.sql
\set ECHO all

-- markings
SELECT proname, provolatile, proisstrict, proparallel, prosecdef,
       obj_description(oid, 'pg_proc') IS NOT NULL AS commented
  FROM pg_proc WHERE oid = 'credit_audit.timeline_svg(credit_audit.uscc)'::regprocedure;
SELECT credit_audit.timeline_svg(NULL) IS NULL AS strict_null;

CREATE TEMP TABLE pic AS
    SELECT e.uscc::text AS uscc, e.name,
           xmlparse(document credit_audit.timeline_svg(e.uscc)) AS svg
      FROM credit_audit.enterprise e;
-- every enterprise's picture is a well-formed document with an <svg> root in the SVG namespace
SELECT count(*) AS pictures,
       count(*) FILTER (WHERE xpath_exists('/svg:svg', svg,
                                           ARRAY[ARRAY['svg', 'http://www.w3.org/2000/svg']])) AS svg_root
  FROM pic;

CREATE FUNCTION pg_temp.count_nodes(path text, doc xml) RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT cardinality(xpath(path, doc, ARRAY[ARRAY['svg', 'http://www.w3.org/2000/svg']])) $$;
-- elements drawn per enterprise: bands, revoked bands, open (still listed) arrows, grant
-- markers, red markers, and the first year on the axis
CREATE TEMP VIEW pic_counts AS
SELECT uscc, name,
       pg_temp.count_nodes('//svg:g[@class="sanction" or @class="sanction revoked"]', svg) AS bands,
       pg_temp.count_nodes('//svg:g[@class="sanction revoked"]', svg) AS revoked,
       pg_temp.count_nodes('//svg:path[@class="open"]', svg) AS open,
       pg_temp.count_nodes('//svg:rect[@class="listed"]', svg) AS listed_rects,
       pg_temp.count_nodes('//svg:circle[@class="marker"]', svg) AS markers,
       pg_temp.count_nodes('//svg:g[@class="grant flagged"]/svg:circle[@fill="#d62728"]', svg) AS red_markers,
       (xpath('(//svg:text[@class="year"])[1]/text()', svg,
              ARRAY[ARRAY['svg', 'http://www.w3.org/2000/svg']]))[1]::text AS first_year
  FROM pic;
SELECT * FROM pic_counts ORDER BY uscc;

-- ... and they agree with the tables: one band per listing, one marker per guarded grant, one
-- red marker per grant with a finding that is not dismissed (expect no rows)
SELECT c.uscc, c.bands, c.markers, c.red_markers, s.n AS sanctions, g.n AS grants, f.n AS flagged
  FROM pic_counts c
  LEFT JOIN (SELECT uscc::text, count(*)::integer AS n FROM credit_audit.sanction GROUP BY 1) s USING (uscc)
  LEFT JOIN (SELECT uscc::text, count(*)::integer AS n FROM credit_audit.guarded_grants() GROUP BY 1) g USING (uscc)
  LEFT JOIN (SELECT uscc::text, count(DISTINCT (source_table, source_key))::integer AS n
               FROM credit_audit.finding WHERE status <> 'dismissed' GROUP BY 1) f USING (uscc)
 WHERE c.bands <> coalesce(s.n, 0) OR c.markers <> coalesce(g.n, 0) OR c.red_markers <> coalesce(f.n, 0);

-- the heading shows the Chinese name as is, the font list has CJK fallbacks (XMLTABLE gives the
-- text unescaped)
CREATE FUNCTION pg_temp.svg_texts(doc xml, path text) RETURNS TABLE (t text)
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT x.t FROM XMLTABLE(XMLNAMESPACES('http://www.w3.org/2000/svg' AS svg), path
                                   PASSING doc COLUMNS t text PATH '.') AS x $$;
SELECT (SELECT t FROM pg_temp.svg_texts(svg, '/svg:svg/svg:text[@class="name"]')) = name AS name_shown,
       (SELECT t FROM pg_temp.svg_texts(svg, '/svg:svg/@font-family')) AS font_family
  FROM pic WHERE uscc = '91330108MA2GD13P2G';
-- a grant's tooltip: program, date, amount with separators, source and why it is flagged
SELECT t AS tooltip
  FROM pic, pg_temp.svg_texts(svg, '//svg:g[@class="grant flagged"]/svg:title')
 WHERE uscc = '91330108594376207B';

-- Text is XML-escaped: markup characters, quotes and a control character in names, a category
-- and a program name still give a well-formed document that shows the text (the control
-- character, which XML 1.0 cannot carry, as U+FFFD).
INSERT INTO credit_audit.enterprise (uscc, name)
    VALUES ('91330100716105852F', E'<script>alert("x")</script> & \'杭州\' \x01 Ltd');
INSERT INTO credit_audit.program (code, name, department)
    VALUES ('svg_test', 'R&D <补贴> "quoted"', 'econ');
INSERT INTO credit_audit.subsidy (uscc, program, applied_on, amount)
    VALUES ('91330100716105852F', 'svg_test', '2021-05-01', 1234567.5);
INSERT INTO credit_audit.sanction (uscc, department, category, severity, fact_date, listed_on,
                                   removed_on, removal_reason)
    VALUES ('91330100716105852F', 'market', '</text><text>&amp;', 'minor', '2021-03-01', '2021-04-01',
            '2021-09-30', 'repaired');
WITH d AS (SELECT xmlparse(document credit_audit.timeline_svg('91330100716105852F')) AS svg)
SELECT (SELECT t FROM pg_temp.svg_texts(svg, '/svg:svg/svg:text[@class="name"]'))
         = E'<script>alert("x")</script> & \'杭州\' \uFFFD Ltd' AS name_round_trips,
       (SELECT t FROM pg_temp.svg_texts(svg, '//svg:g[@class="sanction"]/svg:text')) AS band_label,
       (SELECT t FROM pg_temp.svg_texts(svg, '//svg:g[@class="grant flagged"]/svg:title')) AS grant_tooltip,
       pg_temp.count_nodes('//svg:script', svg) AS scripts,
       pg_temp.count_nodes('//svg:text', svg) AS texts
  FROM d;

-- A valid code the database does not know: an empty but well-formed picture titled by the code.
WITH d AS (SELECT xmlparse(document credit_audit.timeline_svg('914403001922038216')) AS svg)
SELECT (SELECT t FROM pg_temp.svg_texts(svg, '/svg:svg/svg:text[@class="name"]')) AS heading,
       pg_temp.count_nodes('//svg:g[@class="sanction"]', svg) AS bands,
       pg_temp.count_nodes('//svg:circle[@class="marker"]', svg) AS markers,
       pg_temp.count_nodes('//svg:text[@class="year"]', svg) >= 1 AS has_axis
  FROM d;

-- A hostile search_path changes nothing: an always-true text equality and same-named tables
-- planted in front of pg_catalog.
CREATE TEMP TABLE before AS
    SELECT uscc::text AS uscc, credit_audit.timeline_svg(uscc) AS svg FROM credit_audit.enterprise;
CREATE SCHEMA svg_hostile;
CREATE TABLE svg_hostile.sanction (LIKE credit_audit.sanction);
CREATE TABLE svg_hostile.finding (LIKE credit_audit.finding);
CREATE FUNCTION svg_hostile.hostile_eq(text, text) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR svg_hostile.= (LEFTARG = text, RIGHTARG = text, FUNCTION = svg_hostile.hostile_eq);
CREATE OPERATOR svg_hostile.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = svg_hostile.hostile_eq);
SET search_path = svg_hostile, pg_catalog, pg_temp;
CREATE TEMP TABLE after AS
    SELECT uscc::text AS uscc, credit_audit.timeline_svg(uscc) AS svg FROM credit_audit.enterprise;
RESET search_path;
SELECT count(*) AS pictures, count(*) FILTER (WHERE b.svg = a.svg) AS identical
  FROM before b JOIN after a USING (uscc);

SET client_min_messages = warning;
DROP SCHEMA svg_hostile CASCADE;
DROP SCHEMA hrss CASCADE;
DROP SCHEMA commerce CASCADE;
RESET client_min_messages;

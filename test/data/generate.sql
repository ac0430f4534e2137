\set ca_gen_saved_echo :ECHO
\set ECHO none
-- test/data/generate.sql — the one deterministic data generator of credit_audit (psql script).
--
-- Every test, benchmark and the demo load their data with it:
--
--     \set scale district          -- or small, province; default district
--     \set grants 5000             -- optional: enterprises, sanctions, events, grants override
--     \set seed 1                  -- optional: another, equally deterministic data set
--     \set progress                -- optional: print a line with timings after each step
--     \i test/data/generate.sql
--
-- or from the shell:  psql -v scale=province -v progress=1 -f test/data/generate.sql
--
--   scale      enterprises  sanctions   events    grants
--   small            1,000        250    1,000     5,000
--   district        20,000      5,000   20,000   100,000   (all registered in Binjiang, 330108)
--   province     2,000,000    500,000 2,000,000 10,000,000   (Zhejiang divisions 33xxxx)
--
-- Deterministic: every value is derived from hashes (hashint8extended) of the row number and a
-- per-field salt, never random(), and every id is assigned from the row number, so the same
-- variables give the same rows whatever the plan, parallelism or machine.  Set-based: one
-- INSERT ... SELECT FROM generate_series per table.
--
-- What it writes, into a freshly created extension (run it once per database, outside a
-- transaction block; it needs superuser for session_replication_role):
--   * program: nine programs (rent subsidy 房租补贴, incubation grant 培育资助, ...) with different
--     min_score / blocking_severity; programs that already exist are left alone.  The eight
--     departments are the shipped rows.
--   * enterprise: valid USCCs (registration authority/category 91 mostly, also 92, 93, 52, 31;
--     the organization code passes its GB 11714 check; the check character comes from
--     credit_audit.uscc_check_char()) with Chinese names of the usual shape.
--   * sanction: twelve categories across all eight departments, every severity, a fact -> listing
--     lag of two weeks to a year, then repaired (about 50%), expired (35%), revoked (2%) or still
--     listed (13%); listings that would end after 2026-11-30 are still listed.  A quarter of the
--     listings fall on a small set of repeat offenders.  Natural keys are unique.
--   * credit_event: commendations (+) and penalties (-), most with valid_days, some forever.
--   * subsidy: grants applied for in 2016-2025, amounts 1,000-500,000 yuan by program, granted
--     15-120 days later (some not granted).  About 2% are placed on purpose inside a sanction's
--     fact -> listing window or its listing period, so the audit has something to find; others
--     fall there by chance.
--
-- The history is loaded with SET LOCAL session_replication_role = replica: the guard and audit
-- triggers and the foreign-key checks do not fire (CHECK and UNIQUE constraints do), exactly as if
-- the grants had been paid before anyone checked.  Run credit_audit.refresh_findings() afterwards
-- to audit them (or \set audit before \i to have the generator run it).  Everything runs in one
-- transaction; the tables are ANALYZEd at the end.  psql's ECHO and QUIET are restored on exit.
--
-- This header is not echoed: under pg_regress (psql -a) only the two lines above it are.

\set ca_gen_saved_quiet :QUIET
\set QUIET on

-- ---- parameters ----
\if :{?scale}
\else
\set scale district
\endif
\if :{?seed}
\else
\set seed 0
\endif

\unset ca_gen_scale_ok
\unset ca_gen_valid
BEGIN;

-- check(ok, msg): raises msg (and so aborts the whole load) unless ok.
CREATE FUNCTION pg_temp.ca_gen_check(ok boolean, msg text) RETURNS boolean LANGUAGE plpgsql AS
$$BEGIN
    IF ok IS NOT TRUE THEN
        RAISE EXCEPTION 'generate.sql: %', msg USING ERRCODE = '22023';
    END IF;
    RETURN true;
END$$;
-- Progress: one finished step, its row count and the seconds since the previous step.
CREATE FUNCTION pg_temp.ca_gen_tick(step text, n bigint, since timestamptz) RETURNS text
    LANGUAGE sql VOLATILE
    RETURN pg_catalog.format('generate: %-13s %15s %8s s', step, n::text || ' rows',
        pg_catalog.round(EXTRACT(epoch FROM pg_catalog.clock_timestamp() - since), 1));

SELECT pg_temp.ca_gen_check(:'scale' IN ('small', 'district', 'province'),
           pg_catalog.format('unknown scale %L (small, district or province)', :'scale')) AS ca_gen_scale_ok,
       CASE :'scale' WHEN 'small' THEN 1000 WHEN 'district' THEN 20000 ELSE 2000000 END AS ca_gen_enterprises,
       CASE :'scale' WHEN 'small' THEN 250 WHEN 'district' THEN 5000 ELSE 500000 END AS ca_gen_sanctions,
       CASE :'scale' WHEN 'small' THEN 1000 WHEN 'district' THEN 20000 ELSE 2000000 END AS ca_gen_events,
       CASE :'scale' WHEN 'small' THEN 5000 WHEN 'district' THEN 100000 ELSE 10000000 END AS ca_gen_grants,
       :'scale' = 'province' AS ca_gen_province,
       pg_catalog.clock_timestamp() AS ca_gen_t0, pg_catalog.clock_timestamp() AS ca_gen_t
\gset
\if :{?ca_gen_scale_ok}
\if :{?enterprises}
\set ca_gen_enterprises :enterprises
\endif
\if :{?sanctions}
\set ca_gen_sanctions :sanctions
\endif
\if :{?events}
\set ca_gen_events :events
\endif
\if :{?grants}
\set ca_gen_grants :grants
\endif
SELECT pg_temp.ca_gen_check(ints, pg_catalog.format(
           'enterprises, sanctions, events, grants and seed must be non-negative integers (got %s, %s, %s, %s, %s)',
           :'ca_gen_enterprises', :'ca_gen_sanctions', :'ca_gen_events', :'ca_gen_grants', :'seed'))
       AND pg_temp.ca_gen_check(CASE WHEN ints THEN :'ca_gen_enterprises'::text::bigint > 0
                                       OR (:'ca_gen_sanctions'::text::bigint = 0 AND :'ca_gen_events'::text::bigint = 0
                                           AND :'ca_gen_grants'::text::bigint = 0) END,
           'sanctions, events and grants need at least one enterprise') AS ca_gen_valid
  FROM (SELECT :'ca_gen_enterprises' ~ '^[0-9]{1,9}$' AND :'ca_gen_sanctions' ~ '^[0-9]{1,9}$'
               AND :'ca_gen_events' ~ '^[0-9]{1,9}$' AND :'ca_gen_grants' ~ '^[0-9]{1,9}$'
               AND :'seed' ~ '^[0-9]{1,6}$' AS ints) AS p \gset
\endif
-- Everything below runs only when the parameters are valid (one error message, not a cascade).
\if :{?ca_gen_valid}

SET LOCAL session_replication_role = replica;
SET LOCAL work_mem = '256MB';
-- bigger local buffers for the temporary tables, where still allowed (not once this session
-- has used temporary tables)
DO $$BEGIN PERFORM pg_catalog.set_config('temp_buffers', '512MB', true);
EXCEPTION WHEN OTHERS THEN NULL; END$$;
SET LOCAL search_path = pg_catalog, pg_temp;

-- u(n, salt): uniform in [0, 1), a pure function of the row number, the field salt and the seed.
CREATE FUNCTION pg_temp.ca_gen_u(n bigint, salt integer) RETURNS double precision
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (pg_catalog.hashint8extended(n, salt + :seed * 1000) & 9007199254740991)::double precision
           / 9007199254740992.0;
-- k(n, salt, m): uniform integer in [0, m).
CREATE FUNCTION pg_temp.ca_gen_k(n bigint, salt integer, m bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN pg_catalog.floor(pg_temp.ca_gen_u(n, salt) * m)::bigint;
-- GB 11714 value of one character (0-9 -> 0-9, A-Z -> 10-35).
CREATE FUNCTION pg_temp.ca_gen_gbval(c text) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN pg_catalog.strpos('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', c) - 1;
-- The symbol of value v in the USCC alphabet.
CREATE FUNCTION pg_temp.ca_gen_sym(v bigint) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN pg_catalog.substr('0123456789ABCDEFGHJKLMNPQRTUWXY', v::integer + 1, 1);

-- ---- lookup tables (slots: a row repeated by its weight, picked by a uniform slot number) ----

CREATE TEMP TABLE ca_gen_division (slot integer, code text, city text, county text) ON COMMIT DROP;
\if :ca_gen_province
INSERT INTO ca_gen_division
SELECT row_number() OVER (ORDER BY d.ord, w) - 1, d.code, d.city, d.county
  FROM (VALUES
    (1, '330000', '浙江', '', 1), (2, '330100', '杭州', '', 2),
    (3, '330102', '杭州', '上城区', 3), (4, '330103', '杭州', '下城区', 1), (5, '330104', '杭州', '江干区', 1),
    (6, '330105', '杭州', '拱墅区', 3), (7, '330106', '杭州', '西湖区', 3), (8, '330108', '杭州', '滨江区', 4),
    (9, '330109', '杭州', '萧山区', 3), (10, '330110', '杭州', '余杭区', 4), (11, '330111', '杭州', '富阳区', 2),
    (12, '330112', '杭州', '临安区', 2), (13, '330113', '杭州', '临平区', 2), (14, '330114', '杭州', '钱塘区', 2),
    (15, '330122', '杭州', '桐庐县', 1), (16, '330127', '杭州', '淳安县', 1), (17, '330182', '杭州', '建德市', 1),
    (18, '330200', '宁波', '', 2), (19, '330203', '宁波', '海曙区', 2), (20, '330205', '宁波', '江北区', 2),
    (21, '330206', '宁波', '北仑区', 2), (22, '330211', '宁波', '镇海区', 1), (23, '330212', '宁波', '鄞州区', 3),
    (24, '330213', '宁波', '奉化区', 1), (25, '330225', '宁波', '象山县', 1), (26, '330226', '宁波', '宁海县', 1),
    (27, '330281', '宁波', '余姚市', 2), (28, '330282', '宁波', '慈溪市', 2),
    (29, '330300', '温州', '', 1), (30, '330302', '温州', '鹿城区', 2), (31, '330303', '温州', '龙湾区', 1),
    (32, '330304', '温州', '瓯海区', 1), (33, '330305', '温州', '洞头区', 1), (34, '330324', '温州', '永嘉县', 1),
    (35, '330326', '温州', '平阳县', 1), (36, '330327', '温州', '苍南县', 1), (37, '330328', '温州', '文成县', 1),
    (38, '330329', '温州', '泰顺县', 1), (39, '330381', '温州', '瑞安市', 2), (40, '330382', '温州', '乐清市', 2),
    (41, '330383', '温州', '龙港市', 1),
    (42, '330400', '嘉兴', '', 1), (43, '330402', '嘉兴', '南湖区', 1), (44, '330411', '嘉兴', '秀洲区', 1),
    (45, '330421', '嘉兴', '嘉善县', 1), (46, '330424', '嘉兴', '海盐县', 1), (47, '330481', '嘉兴', '海宁市', 1),
    (48, '330482', '嘉兴', '平湖市', 1), (49, '330483', '嘉兴', '桐乡市', 1),
    (50, '330500', '湖州', '', 1), (51, '330502', '湖州', '吴兴区', 1), (52, '330503', '湖州', '南浔区', 1),
    (53, '330521', '湖州', '德清县', 1), (54, '330522', '湖州', '长兴县', 1), (55, '330523', '湖州', '安吉县', 1),
    (56, '330600', '绍兴', '', 1), (57, '330602', '绍兴', '越城区', 1), (58, '330603', '绍兴', '柯桥区', 2),
    (59, '330604', '绍兴', '上虞区', 1), (60, '330624', '绍兴', '新昌县', 1), (61, '330681', '绍兴', '诸暨市', 2),
    (62, '330683', '绍兴', '嵊州市', 1),
    (63, '330700', '金华', '', 1), (64, '330702', '金华', '婺城区', 1), (65, '330703', '金华', '金东区', 1),
    (66, '330723', '金华', '武义县', 1), (67, '330726', '金华', '浦江县', 1), (68, '330727', '金华', '磐安县', 1),
    (69, '330781', '金华', '兰溪市', 1), (70, '330782', '金华', '义乌市', 3), (71, '330783', '金华', '东阳市', 1),
    (72, '330784', '金华', '永康市', 1),
    (73, '330800', '衢州', '', 1), (74, '330802', '衢州', '柯城区', 1), (75, '330803', '衢州', '衢江区', 1),
    (76, '330822', '衢州', '常山县', 1), (77, '330824', '衢州', '开化县', 1), (78, '330825', '衢州', '龙游县', 1),
    (79, '330881', '衢州', '江山市', 1),
    (80, '330900', '舟山', '', 1), (81, '330902', '舟山', '定海区', 1), (82, '330903', '舟山', '普陀区', 1),
    (83, '330921', '舟山', '岱山县', 1), (84, '330922', '舟山', '嵊泗县', 1),
    (85, '331000', '台州', '', 1), (86, '331002', '台州', '椒江区', 1), (87, '331003', '台州', '黄岩区', 1),
    (88, '331004', '台州', '路桥区', 1), (89, '331022', '台州', '三门县', 1), (90, '331023', '台州', '天台县', 1),
    (91, '331024', '台州', '仙居县', 1), (92, '331081', '台州', '温岭市', 2), (93, '331082', '台州', '临海市', 1),
    (94, '331083', '台州', '玉环市', 1),
    (95, '331100', '丽水', '', 1), (96, '331102', '丽水', '莲都区', 1), (97, '331121', '丽水', '青田县', 1),
    (98, '331122', '丽水', '缙云县', 1), (99, '331123', '丽水', '遂昌县', 1), (100, '331124', '丽水', '松阳县', 1),
    (101, '331125', '丽水', '云和县', 1), (102, '331126', '丽水', '庆元县', 1), (103, '331127', '丽水', '景宁畲族自治县', 1),
    (104, '331181', '丽水', '龙泉市', 1)
  ) AS d(ord, code, city, county, weight),
  LATERAL generate_series(1, d.weight) AS w;
\else
INSERT INTO ca_gen_division VALUES (0, '330108', '杭州', '滨江区');
\endif

-- Registration authority + organization category (pos 1-2) and the shape of the name.
CREATE TEMP TABLE ca_gen_kind (slot integer, prefix text, shape text) ON COMMIT DROP;
INSERT INTO ca_gen_kind
SELECT row_number() OVER (ORDER BY k.ord, w) - 1, k.prefix, k.shape
  FROM (VALUES (1, '91', 'company', 84),        -- 工商 / 企业
               (2, '92', 'individual', 10),     -- 工商 / 个体工商户
               (3, '93', 'cooperative', 1),     -- 工商 / 农民专业合作社
               (4, '52', 'nonprofit', 3),       -- 民政 / 民办非企业单位
               (5, '31', 'lawfirm', 2)          -- 司法行政 / 律师事务所
       ) AS k(ord, prefix, shape, weight),
  LATERAL generate_series(1, k.weight) AS w;

-- Subsidy programs: the seed's rent subsidy and incubation grant, and others with stricter or
-- looser requirements.  lo/hi: the amount range of a grant; weight: share of the grants.
CREATE TEMP TABLE ca_gen_program (slot integer, code text, lo numeric, hi numeric) ON COMMIT DROP;
CREATE TEMP TABLE ca_gen_program_def ON COMMIT DROP AS
SELECT * FROM (VALUES
    (1, 'rent_subsidy',       '房租补贴',                 'econ',     70, 'general', 5000,   300000, 30),
    (2, 'incubation_grant',   '培育资助',                 'ndrc',     70, 'general', 20000,  500000, 20),
    (3, 'tech_voucher',       '科技创新券',               'econ',     80, 'minor',   1000,   100000, 12),
    (4, 'job_stabilization',  '稳岗补贴',                 'hrss',     60, 'general', 1000,   200000, 12),
    (5, 'export_insurance',   '出口信用保险保费补助',     'commerce', 60, 'serious', 2000,   300000, 6),
    (6, 'quality_award',      '政府质量奖奖励',           'market',   90, 'minor',   100000, 500000, 3),
    (7, 'legal_voucher',      '法律服务券',               'justice',  50, 'serious', 1000,   20000,  5),
    (8, 'tax_contribution',   '纳税贡献奖励',             'tax',      85, 'general', 10000,  500000, 7),
    (9, 'disabled_employment','超比例安排残疾人就业奖励', 'finance',  60, 'general', 1000,   50000,  5)
  ) AS p(ord, code, name, department, min_score, blocking_severity, lo, hi, weight);
INSERT INTO credit_audit.program (code, name, department, min_score, blocking_severity)
SELECT code, name, department, min_score, blocking_severity::credit_audit.severity
  FROM ca_gen_program_def ORDER BY ord
ON CONFLICT (code) DO NOTHING;
INSERT INTO ca_gen_program
SELECT row_number() OVER (ORDER BY p.ord, w) - 1, p.code, p.lo, p.hi
  FROM ca_gen_program_def p, LATERAL generate_series(1, p.weight) AS w;

-- Sanction categories: publishing department, severity mix (percent minor / general), weight,
-- and the prefix of the decision number in source_ref.
CREATE TEMP TABLE ca_gen_category (slot integer, category text, department text,
                                   p_minor integer, p_general integer, ref text) ON COMMIT DROP;
INSERT INTO ca_gen_category
SELECT row_number() OVER (ORDER BY c.ord, w) - 1, c.category, c.department, c.p_minor, c.p_general, c.ref
  FROM (VALUES
    (1,  'abnormal_operation',        'market',   80, 20, 20, '市监异〔%s〕%s号'),
    (2,  'major_tax_violation',       'tax',       0, 20, 10, '税稽罚〔%s〕%s号'),
    (3,  'tax_arrears',               'tax',      30, 60, 10, '税欠告〔%s〕%s号'),
    (4,  'wage_arrears',              'hrss',     10, 50, 12, '人社监〔%s〕%s号'),
    (5,  'social_insurance_arrears',  'hrss',     40, 50, 12, '人社保〔%s〕%s号'),
    (6,  'disability_fund_arrears',   'finance',  50, 45,  8, '财残保〔%s〕%s号'),
    (7,  'false_declaration',         'econ',      0, 40,  5, '经信查〔%s〕%s号'),
    (8,  'product_quality',           'market',   30, 50,  8, '市监质罚〔%s〕%s号'),
    (9,  'serious_illegal_dishonest', 'market',    0,  0,  3, '市监严〔%s〕%s号'),
    (10, 'judgment_defaulter',        'justice',   0, 30,  6, '司执〔%s〕%s号'),
    (11, 'price_violation',           'ndrc',     40, 50,  3, '发改价罚〔%s〕%s号'),
    (12, 'foreign_trade_violation',   'commerce', 20, 60,  3, '商贸罚〔%s〕%s号')
  ) AS c(ord, category, department, p_minor, p_general, weight, ref),
  LATERAL generate_series(1, c.weight) AS w;

-- Credit events: commendations and penalties not on any list.
CREATE TEMP TABLE ca_gen_event_kind (slot integer, department text, lo integer, hi integer,
                                     valid_days integer, note text) ON COMMIT DROP;
INSERT INTO ca_gen_event_kind
SELECT row_number() OVER (ORDER BY e.ord, w) - 1, e.department, e.lo, e.hi, e.valid_days, e.note
  FROM (VALUES
    (1,  'tax',       5,  10, 365,  '纳税信用A级',         14),
    (2,  'market',    3,   8, 730,  '守合同重信用企业',     10),
    (3,  'econ',      5,  10, 1095, '高新技术企业认定',     10),
    (4,  'hrss',      3,   6, 730,  '和谐劳动关系企业',     8),
    (5,  'commerce',  2,   5, 365,  '外贸诚信企业',         6),
    (6,  'ndrc',      2,   5, NULL, '慈善捐赠表彰',         7),
    (7,  'market',   10,  10, NULL, '政府质量奖',           2),
    (8,  'justice',   1,   3, 365,  '公共法律服务志愿',     8),
    (9,  'market',  -15,  -5, 365,  '行政处罚（一般程序）', 9),
    (10, 'tax',      -5,  -2, 365,  '逾期申报',             8),
    (11, 'ndrc',     -4,  -2, 180,  '统计数据迟报',         5),
    (12, 'hrss',     -8,  -3, 365,  '劳动保障监察警告',     5),
    (13, 'finance', -20, -10, 730,  '财政资金违规使用',     2),
    (14, 'justice', -10,  -5, NULL, '合同违约（法院判决）', 3),
    (15, 'commerce',-10,  -5, 730,  '出口退税异常',         2),
    (16, 'econ',     -6,  -3, NULL, '信息披露不实',         1)
  ) AS e(ord, department, lo, hi, valid_days, note, weight),
  LATERAL generate_series(1, e.weight) AS w;

\if :{?progress}
SELECT pg_temp.ca_gen_tick('programs', count(*), :'ca_gen_t') AS ca_gen_msg, clock_timestamp() AS ca_gen_t FROM ca_gen_program_def \gset
\echo :ca_gen_msg
\endif

-- ---- enterprises ----
-- Organization code (pos 9-17): an older 8-digit code or a newer MA + 6 symbols code, each an
-- affine permutation of the row number (so codes never repeat), plus its GB 11714 check.
-- USCC = prefix + division + organization code + check character (mod 31).
CREATE TEMP TABLE ca_gen_ent_named (i bigint, uscc credit_audit.uscc, name text) ON COMMIT DROP;
INSERT INTO ca_gen_ent_named
SELECT i, (body17 || credit_audit.uscc_check_char(body17))::credit_audit.uscc, name
  FROM (SELECT i, prefix || code || org8 ||
               CASE 11 - (3 * pg_temp.ca_gen_gbval(substr(org8, 1, 1)) + 7 * pg_temp.ca_gen_gbval(substr(org8, 2, 1))
                          + 9 * pg_temp.ca_gen_gbval(substr(org8, 3, 1)) + 10 * pg_temp.ca_gen_gbval(substr(org8, 4, 1))
                          + 5 * pg_temp.ca_gen_gbval(substr(org8, 5, 1)) + 8 * pg_temp.ca_gen_gbval(substr(org8, 6, 1))
                          + 4 * pg_temp.ca_gen_gbval(substr(org8, 7, 1)) + 2 * pg_temp.ca_gen_gbval(substr(org8, 8, 1))) % 11
                    WHEN 10 THEN 'X' WHEN 11 THEN '0'
                    ELSE (11 - (3 * pg_temp.ca_gen_gbval(substr(org8, 1, 1)) + 7 * pg_temp.ca_gen_gbval(substr(org8, 2, 1))
                          + 9 * pg_temp.ca_gen_gbval(substr(org8, 3, 1)) + 10 * pg_temp.ca_gen_gbval(substr(org8, 4, 1))
                          + 5 * pg_temp.ca_gen_gbval(substr(org8, 5, 1)) + 8 * pg_temp.ca_gen_gbval(substr(org8, 6, 1))
                          + 4 * pg_temp.ca_gen_gbval(substr(org8, 7, 1)) + 2 * pg_temp.ca_gen_gbval(substr(org8, 8, 1))) % 11)::text
               END AS body17,
               CASE shape
                 WHEN 'company' THEN
                   CASE WHEN pg_temp.ca_gen_u(i, 9) < 0.1 THEN '浙江' ELSE city END || brand || trade
                   || CASE WHEN pg_temp.ca_gen_u(i, 10) < 0.12 THEN '股份有限公司' ELSE '有限公司' END
                 WHEN 'individual' THEN
                   CASE WHEN county = '' THEN city || '市' ELSE city || '市' || county END || brand
                   || (ARRAY['便利店', '小吃店', '五金店', '理发店', '水果店', '装饰工作室', '汽车修理部', '服装店'])[1 + pg_temp.ca_gen_k(i, 11, 8)]
                 WHEN 'cooperative' THEN
                   CASE WHEN county = '' THEN city ELSE county END || brand
                   || (ARRAY['茶叶专业合作社', '果蔬专业合作社', '农机专业合作社', '水产养殖专业合作社'])[1 + pg_temp.ca_gen_k(i, 11, 4)]
                 WHEN 'nonprofit' THEN
                   CASE WHEN county = '' THEN city || '市' ELSE city || '市' || county END || brand
                   || (ARRAY['培训学校', '社会工作服务中心', '养老服务中心', '科技创新促进中心'])[1 + pg_temp.ca_gen_k(i, 11, 4)]
                 ELSE '浙江' || brand || '律师事务所'
               END AS name
          FROM (SELECT i, k.prefix, k.shape, d.code, d.city, d.county,
                       CASE WHEN pg_temp.ca_gen_u(i, 3) < 0.4
                            THEN lpad(((73939133 * i + 19260817 + :seed) % 100000000)::text, 8, '0')
                            ELSE 'MA' || pg_temp.ca_gen_sym(ma / 28629151) || pg_temp.ca_gen_sym(ma / 923521 % 31)
                                 || pg_temp.ca_gen_sym(ma / 29791 % 31) || pg_temp.ca_gen_sym(ma / 961 % 31)
                                 || pg_temp.ca_gen_sym(ma / 31 % 31) || pg_temp.ca_gen_sym(ma % 31)
                       END AS org8,
                       substr(c, 1 + pg_temp.ca_gen_k(i, 5, length(c))::integer, 1)
                       || substr(c, 1 + pg_temp.ca_gen_k(i, 6, length(c))::integer, 1) AS brand,
                       (ARRAY['科技', '信息技术', '网络科技', '电子', '智能科技', '生物科技', '医药', '软件',
                              '数据服务', '机械', '新材料', '环保科技', '文化传媒', '贸易', '建设工程',
                              '物业管理', '餐饮管理', '电子商务', '教育科技', '光电', '通信技术', '人力资源',
                              '供应链管理', '设计', '食品', '纺织', '汽车零部件', '检测技术'])[1 + pg_temp.ca_gen_k(i, 7, 28)] AS trade
                  FROM (SELECT i, (1000000007 * i + 123456789 + :seed) % 887503681 AS ma
                          FROM generate_series(1, :ca_gen_enterprises::bigint) AS i) AS i0
                  CROSS JOIN (VALUES ('华信安恒海康威视网易新宇泰联创达盛鑫博远宏德源睿智云天星辰明光锐鼎瑞祥和美佳卓越金银通汇聚合众诚启航凯正腾飞兴隆嘉禾润泽丰茂蓝青绿峰江湖湾朗晨旭阳')) AS chars(c)
                  JOIN ca_gen_kind k ON k.slot = pg_temp.ca_gen_k(i, 1, 100)
                  JOIN ca_gen_division d ON d.slot = pg_temp.ca_gen_k(i, 2, (SELECT count(*) FROM ca_gen_division))
                OFFSET 0) AS a
        OFFSET 0) AS b;
INSERT INTO credit_audit.enterprise (uscc, name) SELECT uscc, name FROM ca_gen_ent_named ORDER BY i;
-- row number -> code, narrow, for the joins below
CREATE TEMP TABLE ca_gen_ent ON COMMIT DROP AS SELECT i, uscc FROM ca_gen_ent_named;
DROP TABLE ca_gen_ent_named;
ANALYZE ca_gen_ent;

\if :{?progress}
SELECT pg_temp.ca_gen_tick('enterprises', :ca_gen_enterprises::bigint, :'ca_gen_t') AS ca_gen_msg, clock_timestamp() AS ca_gen_t \gset
\echo :ca_gen_msg
\endif

-- ---- sanctions ----
-- A few more candidates than asked for; the rare ones repeating a natural key (uscc, department,
-- category, fact_date) are dropped, and the first N by candidate number are kept.
CREATE TEMP TABLE ca_gen_sanction ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY j) AS n, *
  FROM (SELECT DISTINCT ON (ent, category, fact_date) *
          FROM (SELECT j, ent, category, department, severity, fact_date, listed_on, ref, j_u,
                       CASE WHEN removed_on > date '2026-11-30' THEN NULL ELSE removed_on END AS removed_on,
                       CASE WHEN removed_on > date '2026-11-30' THEN NULL ELSE removal_reason END AS removal_reason
                  FROM (SELECT j, ent, category, department, severity, fact_date, listed_on, ref, j_u,
                               CASE WHEN j_u < 0.02 THEN listed_on + 10 + pg_temp.ca_gen_k(j, 28, 110)::integer
                                    WHEN j_u < 0.52 THEN listed_on + CASE severity WHEN 'minor' THEN 30 WHEN 'general' THEN 90 ELSE 365 END
                                                         + pg_temp.ca_gen_k(j, 28, 540)::integer
                                    WHEN j_u < 0.87 THEN listed_on + CASE severity WHEN 'minor' THEN 365 WHEN 'general' THEN 1095 ELSE 1825 END
                               END AS removed_on,
                               CASE WHEN j_u < 0.02 THEN 'revoked' WHEN j_u < 0.52 THEN 'repaired'
                                    WHEN j_u < 0.87 THEN 'expired' END AS removal_reason
                          FROM (SELECT j, ent, category, department, severity, fact_date, ref, j_u,
                                       fact_date + CASE WHEN pg_temp.ca_gen_u(j, 25) < 0.6 THEN 14 + pg_temp.ca_gen_k(j, 26, 42)
                                                        WHEN pg_temp.ca_gen_u(j, 25) < 0.9 THEN 56 + pg_temp.ca_gen_k(j, 26, 126)
                                                        ELSE 182 + pg_temp.ca_gen_k(j, 26, 183) END::integer AS listed_on
                                  FROM (SELECT j,
                                               1 + CASE WHEN pg_temp.ca_gen_u(j, 21) < 0.25
                                                        THEN pg_temp.ca_gen_k(j, 22, greatest(:ca_gen_enterprises::bigint / 20, 1))
                                                        ELSE pg_temp.ca_gen_k(j, 22, :ca_gen_enterprises::bigint) END AS ent,
                                               c.category, c.department, c.ref,
                                               CASE WHEN pg_temp.ca_gen_k(j, 23, 100) < c.p_minor THEN 'minor'
                                                    WHEN pg_temp.ca_gen_k(j, 23, 100) < c.p_minor + c.p_general THEN 'general'
                                                    ELSE 'serious' END AS severity,
                                               date '2015-01-01' + pg_temp.ca_gen_k(j, 24, date '2025-09-30' - date '2015-01-01')::integer AS fact_date,
                                               pg_temp.ca_gen_u(j, 27) AS j_u
                                          FROM generate_series(1, (:ca_gen_sanctions::bigint * 21) / 20 + 10) AS j
                                          JOIN ca_gen_category c ON c.slot = pg_temp.ca_gen_k(j, 20, 100)
                                        OFFSET 0) AS s1
                                OFFSET 0) AS s2
                        OFFSET 0) AS s3) AS s4
         ORDER BY ent, category, fact_date, j) AS s5
 ORDER BY j
 LIMIT :ca_gen_sanctions::bigint;

ANALYZE ca_gen_sanction;
SELECT coalesce(max(id), 0) AS ca_gen_base FROM credit_audit.sanction \gset
INSERT INTO credit_audit.sanction (id, uscc, department, category, severity, fact_date, listed_on,
                                   removed_on, removal_reason, source_ref, recorded_at)
SELECT :ca_gen_base + s.n, e.uscc, s.department, s.category, s.severity::credit_audit.severity,
       s.fact_date, s.listed_on, s.removed_on, s.removal_reason,
       format(s.ref, extract(year FROM s.listed_on), 1 + s.j % 997),
       (s.listed_on + pg_temp.ca_gen_k(s.j, 29, 4)::integer + time '09:30') AT TIME ZONE 'Asia/Shanghai'
  FROM ca_gen_sanction s JOIN ca_gen_ent e ON e.i = s.ent
 ORDER BY s.n;
SELECT setval(pg_get_serial_sequence('credit_audit.sanction', 'id'), max(id)) AS ca_gen_ignore FROM credit_audit.sanction \gset

\if :{?progress}
SELECT pg_temp.ca_gen_tick('sanctions', count(*), :'ca_gen_t') AS ca_gen_msg, clock_timestamp() AS ca_gen_t FROM ca_gen_sanction \gset
\echo :ca_gen_msg
\endif

-- ---- credit events ----
SELECT coalesce(max(id), 0) AS ca_gen_base FROM credit_audit.credit_event \gset
INSERT INTO credit_audit.credit_event (id, uscc, event_date, points, valid_days, department, note)
SELECT :ca_gen_base + v, e.uscc,
       date '2016-01-01' + pg_temp.ca_gen_k(v, 42, 3653)::integer,
       k.lo + pg_temp.ca_gen_k(v, 43, k.hi - k.lo + 1),
       k.valid_days, k.department, k.note
  FROM generate_series(1, :ca_gen_events::bigint) AS v
  JOIN ca_gen_event_kind k ON k.slot = pg_temp.ca_gen_k(v, 41, 100)
  JOIN ca_gen_ent e ON e.i = 1 + CASE WHEN pg_temp.ca_gen_u(v, 44) < 0.4
                                      THEN pg_temp.ca_gen_k(v, 45, greatest(:ca_gen_enterprises::bigint / 5, 1))
                                      ELSE pg_temp.ca_gen_k(v, 45, :ca_gen_enterprises::bigint) END;
SELECT setval(pg_get_serial_sequence('credit_audit.credit_event', 'id'), max(id)) AS ca_gen_ignore FROM credit_audit.credit_event \gset

\if :{?progress}
SELECT pg_temp.ca_gen_tick('credit events', :ca_gen_events::bigint, :'ca_gen_t') AS ca_gen_msg, clock_timestamp() AS ca_gen_t \gset
\echo :ca_gen_msg
\endif

-- ---- grants ----
-- 2% aimed at a sanction: half applied between its fact and its listing (retroactive), half
-- while listed (paid_while_listed; an open listing counts one year).  The rest: 70% of the grants
-- spread over all enterprises, 30% over the first fifth (some enterprises receive many).
SELECT count(*) AS ca_gen_nsanctions FROM ca_gen_sanction \gset
SELECT coalesce(max(id), 0) AS ca_gen_base FROM credit_audit.subsidy \gset
INSERT INTO credit_audit.subsidy (id, uscc, program, applied_on, granted_on, amount, ref)
SELECT :ca_gen_base + g, uscc, program, applied_on,
       CASE WHEN pg_temp.ca_gen_u(g, 66) < 0.03 THEN NULL
            WHEN applied_on + 15 + pg_temp.ca_gen_k(g, 67, 106)::integer > date '2025-12-31' THEN NULL
            ELSE applied_on + 15 + pg_temp.ca_gen_k(g, 67, 106)::integer END,
       amount,
       format('%s-%s-%s', upper(left(program, 3)), extract(year FROM applied_on), lpad(g::text, 8, '0'))
  FROM (SELECT g, coalesce(s_uscc, e.uscc) AS uscc, p.code AS program,
               least(greatest(coalesce(aimed_on, date '2016-01-01' + pg_temp.ca_gen_k(g, 65, 3653)::integer),
                              date '2016-01-01'), date '2025-12-31') AS applied_on,
               greatest(1000, least(500000,
                   round(exp(ln(p.lo::float8) + pg_temp.ca_gen_u(g, 68) * (ln(p.hi::float8) - ln(p.lo::float8))) / 100) * 100))::numeric(16,2) AS amount
          FROM (SELECT g, se.uscc AS s_uscc,
                       CASE WHEN s.n IS NULL THEN NULL
                            WHEN pg_temp.ca_gen_u(g, 63) < 0.5
                            THEN s.fact_date + pg_temp.ca_gen_k(g, 64, s.listed_on - s.fact_date)::integer
                            ELSE s.listed_on + pg_temp.ca_gen_k(g, 64, coalesce(s.removed_on, s.listed_on + 365) - s.listed_on)::integer
                       END AS aimed_on,
                       1 + CASE WHEN pg_temp.ca_gen_u(g, 61) < 0.3
                                THEN pg_temp.ca_gen_k(g, 62, greatest(:ca_gen_enterprises::bigint / 5, 1))
                                ELSE pg_temp.ca_gen_k(g, 62, :ca_gen_enterprises::bigint) END AS ent
                  FROM generate_series(1, :ca_gen_grants::bigint) AS g
                  LEFT JOIN ca_gen_sanction s
                         ON pg_temp.ca_gen_u(g, 60) < 0.02 AND s.n = 1 + pg_temp.ca_gen_k(g, 69, greatest(:ca_gen_nsanctions::bigint, 1))
                  LEFT JOIN ca_gen_ent se ON se.i = s.ent) AS a
          JOIN ca_gen_program p ON p.slot = pg_temp.ca_gen_k(g, 70, 100)
          JOIN ca_gen_ent e ON e.i = a.ent) AS b;
SELECT setval(pg_get_serial_sequence('credit_audit.subsidy', 'id'), max(id)) AS ca_gen_ignore FROM credit_audit.subsidy \gset

\if :{?progress}
SELECT pg_temp.ca_gen_tick('grants', :ca_gen_grants::bigint, :'ca_gen_t') AS ca_gen_msg, clock_timestamp() AS ca_gen_t \gset
\echo :ca_gen_msg
\endif

COMMIT;

ANALYZE credit_audit.enterprise, credit_audit.program, credit_audit.sanction,
        credit_audit.credit_event, credit_audit.subsidy;
\if :{?progress}
SELECT pg_temp.ca_gen_tick('analyze', NULL, :'ca_gen_t') AS ca_gen_msg,
       pg_temp.ca_gen_tick('total', NULL, :'ca_gen_t0') AS ca_gen_total \gset
\echo :ca_gen_msg
\echo :ca_gen_total
\endif
\if :{?audit}
SELECT credit_audit.refresh_findings() AS ca_gen_findings \gset
\if :{?progress}
\echo generate: refresh_findings() added :ca_gen_findings findings
\endif
\endif

DROP FUNCTION pg_temp.ca_gen_u(bigint, integer), pg_temp.ca_gen_k(bigint, integer, bigint),
              pg_temp.ca_gen_gbval(text), pg_temp.ca_gen_sym(bigint),
              pg_temp.ca_gen_check(boolean, text), pg_temp.ca_gen_tick(text, bigint, timestamptz);
\else
ROLLBACK;
\endif
\unset ca_gen_ok
\unset ca_gen_valid
\unset ca_gen_ignore
\unset ca_gen_msg
\unset ca_gen_total
\unset ca_gen_t
\unset ca_gen_t0
\unset ca_gen_base
\set QUIET :ca_gen_saved_quiet
\set ECHO :ca_gen_saved_echo

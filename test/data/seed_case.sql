-- test/data/seed_case.sql — sample data modelled on the seed case (/work/shared/seed: the 2021
-- case report of the Binjiang District audit bureau, Hangzhou).  Names and codes are invented;
-- every USCC is valid (GB 32100 check character and GB 11714 organization-code check).
--
-- Run from the repository root after CREATE EXTENSION credit_audit:  \i test/data/seed_case.sql
-- It (re)creates the schemas hrss and commerce (two departments' own grant tables).  The uscc
-- operators live in schema credit_audit; this script does not assume it is on the search_path
-- and spells them OPERATOR(credit_audit.=).
--
-- The story, in the order things happen:
--   1. grants are paid, 2017-2020, while the listings are not yet known here: the guards let them in;
--   2. the listings arrive (INSERT INTO credit_audit.sanction) and the sanction trigger writes the
--      findings by itself;
--   3. later changes: one listing revoked, six repaired by 2020-08, one expired; a grant paid after
--      repair (not flagged); a grant below the score threshold in a table guarded in record mode;
--   4. analysts mark two findings (confirmed, recovered).
--
-- Intended results (the tests in sql/views.sql assert them):
--   * the Zhejiang company 浙江禾润供应链管理有限公司: major tax violation established 2018-06-15,
--     applied for policy support 2018-07-10 (500,000.00), listed 2019-02-22: exactly one finding,
--     kind retroactive, for that grant; no other finding of it;
--   * nine enterprises have paid_while_listed findings: 15 distinct grants, 2,084,400.00 in total
--     (each grant once: 杭州钱塘精密机械 has one grant of 85,000.00 flagged by two listings);
--     by 2020-08-31 six repaired (removal_reason repaired), three still listed (removed_on NULL):
--       still listed: 杭州云栖数智科技 486,000.00 · 杭州恒晟建筑劳务 216,000.00 · 杭州新禾餐饮管理 110,000.00
--       repaired:     杭州澜舟网络科技 328,400.00 · 杭州钱塘精密机械 145,000.00 · 杭州明澈环境科技 150,000.00
--                     杭州星途文化传媒 250,000.00 · 杭州博远电子商务 251,000.00 · 宁波瑞丰进出口 148,000.00
--     (the two Hangzhou technology companies of the case are 杭州云栖数智科技 — tax — and
--      杭州澜舟网络科技 — labour security —, both paid rent subsidies and incubation grants);
--   * 杭州联芯半导体: listing revoked, its finding dismissed: nothing flagged;
--   * 杭州澜舟网络科技's rent subsidy of 2020-10-12 (96,000.00), after its repair: not flagged;
--   * 杭州滨和物流: one low_score finding (40,000.00, score 65 on 2022-05-10, record mode);
--   * not flagged: 11 grants, 987,000.00 (联芯半导体's 45,000.00 included: its finding is dismissed);
--   * all guarded rows: 28 grants, 3,611,400.00 (credit_audit.subsidy 17, hrss 6, commerce 5);
--     flagged (findings not dismissed): 17 grants, 2,624,400.00 = 2,084,400.00 paid while listed
--     + 500,000.00 retroactive + 40,000.00 low score.
--   * enterprise_risk (stable from 2024-02-22 on): high — 云栖数智 (listed), 恒晟建筑劳务 (listed,
--     serious), 新禾餐饮 (listed, serious), 滨和物流 (score 65); medium — 禾润供应链 and five of the
--     repaired (open findings), 朗华光电 (score 85); low — 星途文化 (its finding recovered),
--     联芯半导体, 海创智能, 江南药业.
--
-- Demo queries (the README's):
--   SELECT enterprise_name, program_name, grant_date, amount, fact_date, listed_on
--     FROM credit_audit.flagged_subsidies WHERE kind = 'retroactive';
--   WITH pwl AS (SELECT * FROM credit_audit.flagged_subsidies
--                 WHERE kind = 'paid_while_listed' AND status <> 'dismissed')
--   SELECT count(DISTINCT uscc) AS enterprises,
--          (SELECT sum(amount) FROM (SELECT DISTINCT source_table, source_key, amount FROM pwl) g) AS total,
--          count(DISTINCT uscc) FILTER (WHERE removed_on IS NULL) AS still_listed,
--          count(DISTINCT uscc) FILTER (WHERE removal_reason = 'repaired') AS repaired
--     FROM pwl;

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS hrss CASCADE;
DROP SCHEMA IF EXISTS commerce CASCADE;
RESET client_min_messages;

-- Enterprises --------------------------------------------------------------------------------
INSERT INTO credit_audit.enterprise (uscc, name) VALUES
    -- the Zhejiang company of finding 1
    ('91330108594376207B', '浙江禾润供应链管理有限公司'),
    -- the nine of finding 2
    ('91330108MA2B0H7K5E', '杭州云栖数智科技有限公司'),
    ('91330108MA28N4QT71', '杭州澜舟网络科技有限公司'),
    ('91330108MA2GD13P2G', '杭州钱塘精密机械有限公司'),
    ('91330106MA27Y8LC64', '杭州恒晟建筑劳务有限公司'),
    ('91330110MA2CFU566K', '杭州明澈环境科技有限公司'),
    ('91330102MA28K1NR71', '杭州新禾餐饮管理有限公司'),
    ('91330105MA2H3E9WX3', '杭州星途文化传媒有限公司'),
    ('91330108MA2AYJ0M7U', '杭州博远电子商务有限公司'),
    ('913302006842391504', '宁波瑞丰进出口有限公司'),
    -- a listing that turned out wrong
    ('91330108MA2J5R1X59', '杭州联芯半导体有限公司'),
    -- clean enterprises, and two with penalties not on any list
    ('91330108MA27XB4E79', '杭州海创智能科技有限公司'),
    ('91330108732429814L', '杭州江南药业有限公司'),
    ('91330109MA2DC7PA8H', '杭州滨和物流有限公司'),
    ('91330108MA2KN0G81X', '杭州朗华光电有限公司');

-- Programs: subsidies at every level, paid by several departments ---------------------------
INSERT INTO credit_audit.program (code, name, department) VALUES
    ('rent_subsidy', '区级房租补贴', 'econ'),
    ('incubation_grant', '初创企业培育资助', 'ndrc'),
    ('policy_support', '省级产业政策扶持资金', 'finance'),
    ('employment_subsidy', '市级稳岗就业补贴', 'hrss'),
    ('export_insurance', '出口信用保险保费补助', 'commerce'),
    ('exhibition_subsidy', '境外展会补贴', 'commerce');

-- Departments' own grant tables, guarded like credit_audit.subsidy ---------------------------
-- hrss: partitioned by year, no primary key (the partition key would have to be in it): the
-- payment number identifies a row.
CREATE SCHEMA hrss;
CREATE TABLE hrss.employment_subsidy (
    payment_no text NOT NULL,
    uscc credit_audit.uscc NOT NULL,
    paid_on date NOT NULL,
    amount numeric(14,2) NOT NULL,
    note text
) PARTITION BY RANGE (paid_on);
CREATE TABLE hrss.employment_subsidy_2018_2019 PARTITION OF hrss.employment_subsidy
    FOR VALUES FROM ('2018-01-01') TO ('2020-01-01');
CREATE TABLE hrss.employment_subsidy_2020_2021 PARTITION OF hrss.employment_subsidy
    FOR VALUES FROM ('2020-01-01') TO ('2022-01-01');
CREATE TABLE hrss.employment_subsidy_other PARTITION OF hrss.employment_subsidy DEFAULT;

-- commerce: one table for several programs, a two-column key, guarded in record mode (the
-- department trials the check: rows go in, problems become findings).
CREATE SCHEMA commerce;
CREATE TABLE commerce.trade_grant (
    batch text NOT NULL,
    line integer NOT NULL,
    uscc credit_audit.uscc NOT NULL,
    program text NOT NULL,
    approved_on date NOT NULL,
    amount numeric(14,2) NOT NULL,
    PRIMARY KEY (batch, line)
);

DO $$
BEGIN
    PERFORM credit_audit.guard('hrss.employment_subsidy', 'uscc', 'paid_on', 'amount',
                               program => 'employment_subsidy', key_column => 'payment_no');
    PERFORM credit_audit.guard('commerce.trade_grant', 'uscc', 'approved_on', 'amount',
                               program_column => 'program', mode => 'record');
END
$$;

-- Credit events not on any list ----------------------------------------------------------------
INSERT INTO credit_audit.credit_event (uscc, event_date, points, valid_days, department, note) VALUES
    ('91330108MA27XB4E79', '2019-12-01', 5, NULL, 'econ', '区级“雏鹰企业”表彰'),
    ('91330108MA27XB4E79', '2021-04-15', 3, 365, 'market', '守合同重信用企业公示'),
    ('91330108MA2KN0G81X', '2020-01-10', -15, NULL, 'tax', '纳税信用评价扣分'),
    ('91330109MA2DC7PA8H', '2021-03-01', -35, NULL, 'market', '虚假宣传行政处罚');

-- 1. Grants, 2017-2020: nothing is listed yet, the guards let every one in --------------------
INSERT INTO credit_audit.subsidy (uscc, program, applied_on, granted_on, amount, ref) VALUES
    -- 浙江禾润供应链: clean (before the violation), then the July 2018 application
    ('91330108594376207B', 'rent_subsidy',     '2017-11-20', '2017-12-15',  60000.00, '滨经信〔2017〕88号'),
    ('91330108594376207B', 'policy_support',   '2018-07-10', '2018-08-20', 500000.00, '浙财企〔2018〕41号'),
    -- 杭州云栖数智科技: clean (before the violation), then two grants while listed
    ('91330108MA2B0H7K5E', 'rent_subsidy',     '2018-09-12', '2018-10-08', 150000.00, '滨经信〔2018〕102号'),
    ('91330108MA2B0H7K5E', 'rent_subsidy',     '2019-09-10', '2019-10-11', 186000.00, '滨经信〔2019〕97号'),
    ('91330108MA2B0H7K5E', 'incubation_grant', '2020-03-16', '2020-04-20', 300000.00, '滨发改〔2020〕12号'),
    -- 杭州澜舟网络科技
    ('91330108MA28N4QT71', 'rent_subsidy',     '2019-06-18', '2019-07-12', 128400.00, '滨经信〔2019〕61号'),
    ('91330108MA28N4QT71', 'incubation_grant', '2019-11-05', '2019-12-02', 200000.00, '滨发改〔2019〕77号'),
    -- 杭州恒晟建筑劳务
    ('91330106MA27Y8LC64', 'rent_subsidy',     '2020-01-08', '2020-02-10',  96000.00, '滨经信〔2020〕05号'),
    -- 杭州明澈环境科技
    ('91330110MA2CFU566K', 'incubation_grant', '2018-12-05', '2019-01-10', 150000.00, '滨发改〔2018〕93号'),
    -- 杭州新禾餐饮管理
    ('91330102MA28K1NR71', 'rent_subsidy',     '2019-10-30', '2019-11-25',  72000.00, '滨经信〔2019〕118号'),
    -- 杭州星途文化传媒
    ('91330105MA2H3E9WX3', 'policy_support',   '2019-05-16', '2019-06-28', 250000.00, '浙财企〔2019〕23号'),
    -- 杭州博远电子商务
    ('91330108MA2AYJ0M7U', 'rent_subsidy',     '2020-02-14', '2020-03-13',  88000.00, '滨经信〔2020〕19号'),
    -- 杭州联芯半导体
    ('91330108MA2J5R1X59', 'rent_subsidy',     '2019-07-15', '2019-08-09',  45000.00, '滨经信〔2019〕70号'),
    -- 杭州海创智能科技 (clean)
    ('91330108MA27XB4E79', 'rent_subsidy',     '2019-03-01', '2019-03-29', 120000.00, '滨经信〔2019〕21号'),
    ('91330108MA27XB4E79', 'incubation_grant', '2020-05-20', '2020-06-18', 200000.00, '滨发改〔2020〕31号'),
    -- 杭州朗华光电 (score 85 after its penalty: still eligible)
    ('91330108MA2KN0G81X', 'policy_support',   '2020-06-01', '2020-07-10', 100000.00, '浙财企〔2020〕17号');

INSERT INTO hrss.employment_subsidy (payment_no, uscc, paid_on, amount, note) VALUES
    ('RS2018-0051', '91330102MA28K1NR71', '2018-05-10',  50000.00, '杭州新禾餐饮管理 (clean)'),
    ('RS2019-0412', '91330108MA2GD13P2G', '2019-04-10',  85000.00, '杭州钱塘精密机械: flagged by two listings'),
    ('RS2019-0833', '91330106MA27Y8LC64', '2019-08-22', 120000.00, '杭州恒晟建筑劳务'),
    ('RS2019-0930', '91330108732429814L', '2019-09-30',  66000.00, '杭州江南药业 (clean)'),
    ('RS2020-0630', '91330102MA28K1NR71', '2020-06-30',  38000.00, '杭州新禾餐饮管理'),
    ('RS2020-0930', '91330108732429814L', '2020-09-30',  70000.00, '杭州江南药业 (clean)');

INSERT INTO commerce.trade_grant (batch, line, uscc, program, approved_on, amount) VALUES
    ('2018-Q4', 7, '91330108MA2GD13P2G', 'exhibition_subsidy', '2018-12-05',  60000.00),
    ('2019-Q1', 3, '913302006842391504', 'export_insurance',   '2019-03-28', 148000.00),
    ('2019-Q3', 1, '91330108MA2AYJ0M7U', 'export_insurance',   '2019-07-25', 163000.00),
    ('2020-Q4', 2, '91330109MA2DC7PA8H', 'exhibition_subsidy', '2020-11-11',  30000.00);

-- 2. The listings arrive late: the sanction trigger writes the findings --------------------------
INSERT INTO credit_audit.sanction
    (uscc, department, category, severity, fact_date, listed_on, source_ref) VALUES
    ('91330110MA2CFU566K', 'finance', 'disability_fund_arrears', 'general',
        '2018-08-15', '2018-10-10', '信用杭州 残保金欠缴 2018-117'),
    ('91330108MA2GD13P2G', 'finance', 'disability_fund_arrears', 'general',
        '2018-09-30', '2018-11-01', '信用杭州 残保金欠缴 2018-142'),
    ('91330108MA2GD13P2G', 'hrss', 'wage_arrears', 'general',
        '2018-12-10', '2019-01-15', '信用浙江 拖欠工资 2019-008'),
    ('91330108594376207B', 'tax', 'major_tax_violation', 'serious',
        '2018-06-15', '2019-02-22', '信用中国 重大税收违法失信 2019-02'),
    ('913302006842391504', 'finance', 'disability_fund_arrears', 'minor',
        '2018-12-20', '2019-02-26', '信用宁波 残保金欠缴 2019-031'),
    ('91330108MA28N4QT71', 'hrss', 'labour_security_violation', 'general',
        '2019-01-28', '2019-03-08', '信用浙江 劳动保障违法 2019-027'),
    ('91330105MA2H3E9WX3', 'tax', 'tax_arrears', 'general',
        '2019-02-25', '2019-04-01', '信用杭州 欠税公告 2019-04'),
    ('91330108MA2AYJ0M7U', 'justice', 'judgment_default', 'serious',
        '2019-03-15', '2019-05-08', '信用中国 失信被执行人 2019-0508'),
    ('91330108MA2B0H7K5E', 'tax', 'tax_violation', 'general',
        '2019-04-12', '2019-05-20', '信用浙江 税收违法 2019-066'),
    ('91330108MA2J5R1X59', 'market', 'abnormal_operation', 'general',
        '2019-05-10', '2019-06-01', '信用杭州 经营异常 2019-0601'),
    ('91330106MA27Y8LC64', 'hrss', 'wage_arrears', 'serious',
        '2019-05-06', '2019-06-20', '信用浙江 拖欠工资 2019-041'),
    ('91330102MA28K1NR71', 'market', 'serious_illegal_dishonesty', 'serious',
        '2019-08-01', '2019-09-16', '信用浙江 严重违法失信 2019-0916');

-- 3. Later changes ------------------------------------------------------------------------------
-- 2019-09-20: the market listing of 杭州联芯半导体 was a mistake (its findings become dismissed)
UPDATE credit_audit.sanction SET removed_on = '2019-09-20', removal_reason = 'revoked'
 WHERE uscc OPERATOR(credit_audit.=) '91330108MA2J5R1X59' AND department = 'market';

-- by 2020-08-31 six enterprises repaired their credit; what was paid stays flagged
UPDATE credit_audit.sanction AS s SET removed_on = r.removed_on, removal_reason = 'repaired'
  FROM (VALUES ('91330110MA2CFU566K', 'finance', '2019-12-20'::date),
               ('913302006842391504', 'finance', '2019-11-15'),
               ('91330105MA2H3E9WX3', 'tax', '2020-03-31'),
               ('91330108MA2GD13P2G', 'finance', '2020-04-30'),
               ('91330108MA2GD13P2G', 'hrss', '2020-05-20'),
               ('91330108MA28N4QT71', 'hrss', '2020-07-15'),
               ('91330108MA2AYJ0M7U', 'justice', '2020-08-20')) AS r (uscc, department, removed_on)
 WHERE s.uscc OPERATOR(credit_audit.=) r.uscc::credit_audit.uscc AND s.department = r.department;

-- 2020-10-12: 杭州澜舟网络科技 applies again after repair: score 84.88 >= 70, no listing in force
INSERT INTO credit_audit.subsidy (uscc, program, applied_on, granted_on, amount, ref) VALUES
    ('91330108MA28N4QT71', 'rent_subsidy', '2020-10-12', '2020-11-06', 96000.00, '滨经信〔2020〕84号');

-- 2022-02-22: the major tax violation listing of 浙江禾润供应链 expires after three years
UPDATE credit_audit.sanction SET removed_on = '2022-02-22', removal_reason = 'expired'
 WHERE uscc OPERATOR(credit_audit.=) '91330108594376207B' AND category = 'major_tax_violation';

-- 2022-05-10: 杭州滨和物流 (score 65 since its 2021 penalty) gets an export insurance grant from
-- commerce, whose table is in record mode: the row goes in, a low_score finding is written
INSERT INTO commerce.trade_grant (batch, line, uscc, program, approved_on, amount) VALUES
    ('2022-Q2', 4, '91330109MA2DC7PA8H', 'export_insurance', '2022-05-10', 40000.00);

-- 4. The analysts' work ------------------------------------------------------------------------
UPDATE credit_audit.finding SET status = 'confirmed', note = '已移交区经信局、区发改局追缴'
 WHERE uscc OPERATOR(credit_audit.=) '91330108MA2B0H7K5E';
UPDATE credit_audit.finding SET status = 'recovered', note = '2020-09 已全额退回财政'
 WHERE uscc OPERATOR(credit_audit.=) '91330105MA2H3E9WX3';

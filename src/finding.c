/*
 * finding.c
 *	  The one writer of findings and their NOTIFY payloads.
 *
 * Every finding -- from the grant-table triggers (record mode), from the sanction trigger and
 * from refresh_findings() -- goes through ca_finding_add(): a probe of finding_unique (an
 * existing finding costs an index lookup, no INSERT), else an INSERT ... ON CONFLICT ON
 * CONSTRAINT finding_unique DO NOTHING RETURNING id through one kept SPI plan, then, for a row
 * actually inserted, NOTIFY credit_audit_findings with a JSON payload describing it (the
 * "linked response": departments LISTEN and learn at commit which grants were flagged).
 *
 * The sanction trigger on a bulk INSERT writes through a batch instead (ca_finding_batch_*):
 * 2,000 findings per INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING RETURNING, the
 * returned rows matched back, in order, to the buffered findings for their payloads.
 *
 * The payload is built with PostgreSQL's JSON escaping (escape_json), so any table, key,
 * program or department name gives valid JSON; long strings are cut at a character boundary so
 * that the whole payload stays under the server's 8000-byte NOTIFY limit, and "truncated": true
 * then says so.
 *
 * Also here: the two helpers that give a guarded row's identity in findings, shared by every
 * writer so the same row always gets the same (source_table, source_key):
 *	  ca_source_table_name()	schema-qualified, quoted name of the guarded table (for a
 *								partitioned table: the table given to guard(), not the partition)
 *	  ca_source_key()			one key column: its output text; several: a row literal (a,b);
 *								formatted with fixed settings (ISO dates, UTC), so a key never
 *								depends on the session's DateStyle or TimeZone
 */
#include "credit_audit.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#define CA_NOTIFY_CHANNEL "credit_audit_findings"
/* async.c refuses payloads of BLCKSZ - NAMEDATALEN - 128 bytes or more */
#define CA_NOTIFY_MAX_PAYLOAD (BLCKSZ - NAMEDATALEN - 128 - 1)
/* escaped size allowed for each free-text member; 7 of them fit well under the limit */
#define CA_NOTIFY_STRING_BUDGET 1000

#define CA_FINDING_NARGS 8

static SPIPlanPtr ca_finding_plan = NULL;
static Oid	ca_finding_plan_uscc = InvalidOid;	/* uscc type OID the plan was made for */

/*
 * The kept INSERT plan; re-prepared when invalid or when the extension was re-created (the
 * uscc type's OID, a parameter type, changed).
 */
static SPIPlanPtr
ca_finding_insert_plan(void)
{
	Oid			uscc_type = ca_uscc_type_oid();

	if (ca_finding_plan != NULL &&
		(ca_finding_plan_uscc != uscc_type || !SPI_plan_is_valid(ca_finding_plan)))
	{
		SPI_freeplan(ca_finding_plan);
		ca_finding_plan = NULL;
	}
	if (ca_finding_plan == NULL)
	{
		Oid			argtypes[CA_FINDING_NARGS] = {
			TEXTOID, TEXTOID, TEXTOID, uscc_type, TEXTOID, DATEOID, NUMERICOID, INT8OID
		};
		SPIPlanPtr	plan;

		plan = SPI_prepare("INSERT INTO credit_audit.finding AS f"
						   " (kind, source_table, source_key, uscc, program, grant_date,"
						   "  amount, sanction_id)"
						   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
						   " ON CONFLICT ON CONSTRAINT finding_unique DO NOTHING"
						   " RETURNING f.id",
						   CA_FINDING_NARGS, argtypes);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for the finding insert: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed for the finding insert");
		ca_finding_plan = plan;
		ca_finding_plan_uscc = uscc_type;
	}
	return ca_finding_plan;
}

/*
 * Append "key": "value" (escaped JSON string, or null) to buf.  The value is cut, at a character
 * boundary, until its escaped form fits CA_NOTIFY_STRING_BUDGET bytes; *truncated is set then.
 */
static void
ca_json_member(StringInfo buf, const char *key, const char *value, bool *truncated)
{
	StringInfoData esc;
	int			len;

	appendStringInfo(buf, ",\"%s\":", key);
	if (value == NULL)
	{
		appendStringInfoString(buf, "null");
		return;
	}
	initStringInfo(&esc);
	len = strlen(value);
	for (;;)
	{
		char	   *clipped = pnstrdup(value, len);

		resetStringInfo(&esc);
		escape_json(&esc, clipped);
		pfree(clipped);
		if (esc.len <= CA_NOTIFY_STRING_BUDGET)
			break;
		/* the escaped text is at most 6 bytes per input byte: shrink and try again */
		len = pg_mbcliplen(value, len, Min(len / 2, CA_NOTIFY_STRING_BUDGET - 2));
		*truncated = true;
	}
	appendBinaryStringInfo(buf, esc.data, esc.len);
	pfree(esc.data);
}

/* ISO text of a date, whatever DateStyle says ("infinity" / "-infinity" as date_out has). */
static void
ca_date_iso(DateADT d, char *out, size_t outlen)
{
	int			y,
				m,
				day;

	if (DATE_IS_NOBEGIN(d))
		snprintf(out, outlen, "-infinity");
	else if (DATE_IS_NOEND(d))
		snprintf(out, outlen, "infinity");
	else
	{
		j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
		if (y > 0)
			snprintf(out, outlen, "%04d-%02d-%02d", y, m, day);
		else
			snprintf(out, outlen, "%04d-%02d-%02d BC", -(y - 1), m, day);
	}
}

/* The JSON payload of one new finding. palloc'd in the current context. */
static char *
ca_finding_payload(const CaFinding *f, int64 id)
{
	StringInfoData buf;
	char		ubuf[USCC_LEN + 1];
	char		dbuf[MAXDATELEN + 1];
	char	   *amount;
	bool		truncated = false;

	ca_uscc_to_cstring(f->uscc, ubuf);
	ca_date_iso(f->grant_date, dbuf, sizeof(dbuf));
	amount = DatumGetCString(DirectFunctionCall1(numeric_out, f->amount));

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"id\":" INT64_FORMAT, id);
	ca_json_member(&buf, "kind", f->kind, &truncated);
	ca_json_member(&buf, "uscc", ubuf, &truncated);
	ca_json_member(&buf, "program", f->program, &truncated);
	/* a numeric's text is a JSON number, except NaN and the infinities */
	if (isdigit((unsigned char) amount[0]) ||
		(amount[0] == '-' && isdigit((unsigned char) amount[1])))
		appendStringInfo(&buf, ",\"amount\":%s", amount);
	else
		ca_json_member(&buf, "amount", amount, &truncated);
	ca_json_member(&buf, "grant_date", dbuf, &truncated);
	ca_json_member(&buf, "source_table", f->source_table, &truncated);
	ca_json_member(&buf, "source_key", f->source_key, &truncated);
	if (f->sanction_id != 0)
		appendStringInfo(&buf, ",\"sanction_id\":" INT64_FORMAT, f->sanction_id);
	else
		appendStringInfoString(&buf, ",\"sanction_id\":null");
	ca_json_member(&buf, "sanction_department", f->sanction_department, &truncated);
	ca_json_member(&buf, "paying_department", f->paying_department, &truncated);
	if (truncated)
		appendStringInfoString(&buf, ",\"truncated\":true");
	appendStringInfoChar(&buf, '}');

	/* 7 members of at most CA_NOTIFY_STRING_BUDGET bytes plus numbers: always fits */
	if (buf.len > CA_NOTIFY_MAX_PAYLOAD)
		elog(ERROR, "finding notification payload of %d bytes is too long", buf.len);
	return buf.data;
}

/*
 * Does the finding exist already?  A direct probe of finding_unique under a fresh snapshot
 * (which sees this transaction's earlier inserts), so that a rerun -- refresh_findings() over
 * findings already written, a sanction updated again -- costs an index lookup instead of an
 * INSERT through SPI.  Only a shortcut: a finding not seen here is inserted with ON CONFLICT,
 * which settles any race.
 */
static bool
ca_finding_exists(const CaFinding *f)
{
	Relation	rel = table_open(ca_relation_oid(CA_REL_FINDING), AccessShareLock);
	Relation	idx = index_open(ca_relation_oid(CA_REL_FINDING_UNIQUE), AccessShareLock);
	Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	IndexScanDesc scan;
	ScanKeyData keys[4];
	bool		found;

	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_TEXTEQ,
				CStringGetTextDatum(f->source_table));
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_TEXTEQ,
				CStringGetTextDatum(f->source_key));
	ScanKeyInit(&keys[2], 3, BTEqualStrategyNumber, F_TEXTEQ, CStringGetTextDatum(f->kind));
	for (int i = 0; i < 3; i++)
		keys[i].sk_collation = idx->rd_indcollation[i];
	if (f->sanction_id != 0)
		ScanKeyInit(&keys[3], 4, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(f->sanction_id));
	else
		ScanKeyEntryInitialize(&keys[3], SK_ISNULL | SK_SEARCHNULL, 4, InvalidStrategy,
							   InvalidOid, InvalidOid, InvalidOid, (Datum) 0);

	scan = index_beginscan(rel, idx, snapshot, 4, 0);
	index_rescan(scan, keys, 4, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	UnregisterSnapshot(snapshot);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);
	return found;
}

int64
ca_finding_add(const CaFinding *f)
{
	if (ca_finding_exists(f))
		return 0;
	return ca_finding_insert(f);
}

int64
ca_finding_insert(const CaFinding *f)
{
	Datum		values[CA_FINDING_NARGS];
	char		nulls[CA_FINDING_NARGS];
	int64		id = 0;
	int			rc;
	bool		isnull;

	Assert(f->kind && f->source_table && f->source_key && f->uscc);

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(f->kind);
	values[1] = CStringGetTextDatum(f->source_table);
	values[2] = CStringGetTextDatum(f->source_key);
	values[3] = UsccPGetDatum(f->uscc);
	if (f->program != NULL)
		values[4] = CStringGetTextDatum(f->program);
	else
	{
		values[4] = (Datum) 0;
		nulls[4] = 'n';
	}
	values[5] = DateADTGetDatum(f->grant_date);
	values[6] = f->amount;
	if (f->sanction_id != 0)
		values[7] = Int64GetDatum(f->sanction_id);
	else
	{
		values[7] = (Datum) 0;
		nulls[7] = 'n';
	}

	rc = SPI_execute_plan(ca_finding_insert_plan(), values, nulls, false, 1);
	if (rc != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "SPI_execute_plan failed for the finding insert: %s",
			 SPI_result_code_string(rc));
	if (SPI_processed == 1)
	{
		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
										 &isnull));
		Async_Notify(CA_NOTIFY_CHANNEL, ca_finding_payload(f, id));
	}

	if ((rc = SPI_finish()) != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(rc));
	return id;
}

/* ---- batches: many new findings in one INSERT ---- */

#define CA_FINDING_BATCH_SIZE 2000

struct CaFindingBatch
{
	MemoryContext cxt;			/* the batch itself */
	MemoryContext rowscxt;		/* the buffered findings, reset at every flush */
	int			n;
	CaFinding	items[CA_FINDING_BATCH_SIZE];
	Uscc		codes[CA_FINDING_BATCH_SIZE];
	int64		added;
};

static SPIPlanPtr ca_batch_plan = NULL;
static Oid	ca_batch_plan_uscc = InvalidOid;

static SPIPlanPtr
ca_finding_batch_plan(void)
{
	Oid			uscc_type = ca_uscc_type_oid();

	if (ca_batch_plan != NULL &&
		(ca_batch_plan_uscc != uscc_type || !SPI_plan_is_valid(ca_batch_plan)))
	{
		SPI_freeplan(ca_batch_plan);
		ca_batch_plan = NULL;
	}
	if (ca_batch_plan == NULL)
	{
		Oid			uscc_array = get_array_type(uscc_type);
		Oid			argtypes[CA_FINDING_NARGS] = {
			TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, uscc_array, TEXTARRAYOID, DATEARRAYOID,
			NUMERICARRAYOID, INT8ARRAYOID
		};
		SPIPlanPtr	plan;

		if (!OidIsValid(uscc_array))
			elog(ERROR, "type credit_audit.uscc has no array type");
		/* rows come back in the order of the arrays; the skipped ones are missing */
		plan = SPI_prepare("INSERT INTO credit_audit.finding AS f"
						   " (kind, source_table, source_key, uscc, program, grant_date,"
						   "  amount, sanction_id)"
						   " SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
						   "  pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5),"
						   "  pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8))"
						   " ON CONFLICT ON CONSTRAINT finding_unique DO NOTHING"
						   " RETURNING f.id, f.kind, f.source_table, f.source_key, f.sanction_id",
						   CA_FINDING_NARGS, argtypes);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for the finding batch insert: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed for the finding batch insert");
		ca_batch_plan = plan;
		ca_batch_plan_uscc = uscc_type;
	}
	return ca_batch_plan;
}

CaFindingBatch *
ca_finding_batch_begin(void)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "credit_audit finding batch",
											  ALLOCSET_DEFAULT_SIZES);
	CaFindingBatch *b = MemoryContextAllocZero(cxt, sizeof(CaFindingBatch));

	b->cxt = cxt;
	b->rowscxt = AllocSetContextCreate(cxt, "credit_audit finding batch rows",
									   ALLOCSET_DEFAULT_SIZES);
	return b;
}

static Datum
ca_text_array(CaFindingBatch *b, size_t offset)
{
	Datum	   *elems = palloc(sizeof(Datum) * b->n);
	bool	   *nulls = palloc(sizeof(bool) * b->n);
	int			dims[1] = {b->n};
	int			lbs[1] = {1};

	for (int i = 0; i < b->n; i++)
	{
		const char *str = *(const char *const *) ((const char *) &b->items[i] + offset);

		nulls[i] = (str == NULL);
		elems[i] = str ? CStringGetTextDatum(str) : (Datum) 0;
	}
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID, -1, false,
											  TYPALIGN_INT));
}

static void
ca_finding_batch_flush(CaFindingBatch *b)
{
	Datum		values[CA_FINDING_NARGS];
	Datum	   *elems;
	bool	   *nulls;
	int			dims[1] = {b->n};
	int			lbs[1] = {1};
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			rc;
	int			j = 0;
	MemoryContext old;

	if (b->n == 0)
		return;
	old = MemoryContextSwitchTo(b->rowscxt);
	values[0] = ca_text_array(b, offsetof(CaFinding, kind));
	values[1] = ca_text_array(b, offsetof(CaFinding, source_table));
	values[2] = ca_text_array(b, offsetof(CaFinding, source_key));
	values[4] = ca_text_array(b, offsetof(CaFinding, program));
	elems = palloc(sizeof(Datum) * b->n);
	nulls = palloc0(sizeof(bool) * b->n);
	for (int i = 0; i < b->n; i++)
		elems[i] = UsccPGetDatum(&b->codes[i]);
	get_typlenbyvalalign(ca_uscc_type_oid(), &typlen, &typbyval, &typalign);
	values[3] = PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
												   ca_uscc_type_oid(), typlen, typbyval,
												   typalign));
	for (int i = 0; i < b->n; i++)
		elems[i] = DateADTGetDatum(b->items[i].grant_date);
	values[5] = PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, DATEOID,
												   sizeof(DateADT), true, TYPALIGN_INT));
	for (int i = 0; i < b->n; i++)
		elems[i] = b->items[i].amount;
	values[6] = PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, NUMERICOID,
												   -1, false, TYPALIGN_INT));
	for (int i = 0; i < b->n; i++)
	{
		nulls[i] = (b->items[i].sanction_id == 0);
		elems[i] = Int64GetDatum(b->items[i].sanction_id);
	}
	values[7] = PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, INT8OID,
												   sizeof(int64), FLOAT8PASSBYVAL,
												   TYPALIGN_DOUBLE));
	MemoryContextSwitchTo(old);

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));
	rc = SPI_execute_plan(ca_finding_batch_plan(), values, NULL, false, 0);
	if (rc != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "SPI_execute_plan failed for the finding batch insert: %s",
			 SPI_result_code_string(rc));

	/* one NOTIFY per inserted finding, matched back to the buffered one by its unique key */
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		char	   *kind = SPI_getvalue(tup, desc, 2);
		char	   *source_table = SPI_getvalue(tup, desc, 3);
		char	   *source_key = SPI_getvalue(tup, desc, 4);
		Datum		sid = SPI_getbinval(tup, desc, 5, &isnull);
		int64		sanction_id = isnull ? 0 : DatumGetInt64(sid);

		while (j < b->n &&
			   !(b->items[j].sanction_id == sanction_id &&
				 strcmp(b->items[j].kind, kind) == 0 &&
				 strcmp(b->items[j].source_key, source_key) == 0 &&
				 strcmp(b->items[j].source_table, source_table) == 0))
			j++;
		if (j == b->n)
			elog(ERROR, "inserted finding " INT64_FORMAT " not found in its batch", id);
		Async_Notify(CA_NOTIFY_CHANNEL, ca_finding_payload(&b->items[j], id));
		j++;
		b->added++;
	}

	if ((rc = SPI_finish()) != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(rc));
	b->n = 0;
	MemoryContextReset(b->rowscxt);
}

static const char *
ca_batch_strdup(CaFindingBatch *b, const char *s)
{
	return s ? MemoryContextStrdup(b->rowscxt, s) : NULL;
}

void
ca_finding_batch_add(CaFindingBatch *b, const CaFinding *f)
{
	CaFinding  *c;

	if (b->n == CA_FINDING_BATCH_SIZE)
		ca_finding_batch_flush(b);
	c = &b->items[b->n];
	b->codes[b->n] = *f->uscc;
	c->kind = ca_batch_strdup(b, f->kind);
	c->source_table = ca_batch_strdup(b, f->source_table);
	c->source_key = ca_batch_strdup(b, f->source_key);
	c->uscc = &b->codes[b->n];
	c->program = ca_batch_strdup(b, f->program);
	c->grant_date = f->grant_date;
	c->amount = PointerGetDatum(MemoryContextAlloc(b->rowscxt, VARSIZE_ANY(DatumGetPointer(f->amount))));
	memcpy(DatumGetPointer(c->amount), DatumGetPointer(f->amount),
		   VARSIZE_ANY(DatumGetPointer(f->amount)));
	c->sanction_id = f->sanction_id;
	c->sanction_department = ca_batch_strdup(b, f->sanction_department);
	c->paying_department = ca_batch_strdup(b, f->paying_department);
	b->n++;
}

int64
ca_finding_batch_end(CaFindingBatch *b)
{
	int64		added;

	ca_finding_batch_flush(b);
	added = b->added;
	MemoryContextDelete(b->cxt);
	return added;
}

char *
ca_source_table_name(Oid relid)
{
	char	   *relname = get_rel_name(relid);
	char	   *nspname;

	if (relname == NULL)
		elog(ERROR, "cache lookup failed for relation %u", relid);
	nspname = get_namespace_name(get_rel_namespace(relid));
	return quote_qualified_identifier(nspname, relname);
}

/* Append one value to a row literal as record_out does (quoted when it must be). */
static void
ca_append_row_field(StringInfo buf, const char *value)
{
	bool		quote = (value[0] == '\0');

	for (const char *p = value; *p && !quote; p++)
		if (*p == '"' || *p == '\\' || *p == '(' || *p == ')' || *p == ',' ||
			isspace((unsigned char) *p))
			quote = true;
	if (!quote)
	{
		appendStringInfoString(buf, value);
		return;
	}
	appendStringInfoChar(buf, '"');
	for (const char *p = value; *p; p++)
	{
		if (*p == '"' || *p == '\\')
			appendStringInfoChar(buf, *p);
		appendStringInfoChar(buf, *p);
	}
	appendStringInfoChar(buf, '"');
}

/*
 * Output text of one key value.  Keys must not depend on the session's settings (a finding
 * written under DateStyle 'ISO' and looked up under 'German' is the same row), so the settings
 * that output functions read are fixed while formatting: ISO dates, postgres intervals, UTC
 * time zone, shortest exact floats.
 */
static char *
ca_key_value_text(Oid typid, Datum d)
{
	static pg_tz *utc = NULL;
	int			save_datestyle = DateStyle;
	int			save_dateorder = DateOrder;
	int			save_intervalstyle = IntervalStyle;
	int			save_float_digits = extra_float_digits;
	pg_tz	   *save_tz = session_timezone;
	Oid			typoutput;
	bool		typisvarlena;
	char	   *text;

	getTypeOutputInfo(typid, &typoutput, &typisvarlena);
	if (utc == NULL)
		utc = pg_tzset("UTC");
	DateStyle = USE_ISO_DATES;
	DateOrder = DATEORDER_YMD;
	IntervalStyle = INTSTYLE_POSTGRES;
	extra_float_digits = 1;
	if (utc != NULL)
		session_timezone = utc;
	PG_TRY();
	{
		text = OidOutputFunctionCall(typoutput, d);
	}
	PG_FINALLY();
	{
		DateStyle = save_datestyle;
		DateOrder = save_dateorder;
		IntervalStyle = save_intervalstyle;
		extra_float_digits = save_float_digits;
		session_timezone = save_tz;
	}
	PG_END_TRY();
	return text;
}

char *
ca_source_key(TupleTableSlot *slot, int nkeys, const AttrNumber *attnums)
{
	TupleDesc	desc = slot->tts_tupleDescriptor;
	StringInfoData buf;

	initStringInfo(&buf);
	if (nkeys > 1)
		appendStringInfoChar(&buf, '(');
	for (int i = 0; i < nkeys; i++)
	{
		AttrNumber	att = attnums[i];
		bool		isnull;
		Datum		d = slot_getattr(slot, att, &isnull);

		if (i > 0)
			appendStringInfoChar(&buf, ',');
		if (!isnull)
		{
			char	   *text = ca_key_value_text(TupleDescAttr(desc, att - 1)->atttypid, d);

			if (nkeys > 1)
				ca_append_row_field(&buf, text);
			else
				appendStringInfoString(&buf, text);
			pfree(text);
		}
	}
	if (nkeys > 1)
		appendStringInfoChar(&buf, ')');
	return buf.data;
}

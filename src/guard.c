/*
 * guard.c
 *	  Eligibility (DESIGN.md "Eligibility"), guard()/unguard() and the grant-table trigger
 *	  (DESIGN.md "Guarding grant tables").
 *
 * One judgement serves every caller: ca_judge() applies the rule to a credit record read by
 * score.c's record reader.  eligibility()/is_eligible() read with the statement's snapshot as
 * the calling user (who needs SELECT on the credit tables); the trigger reads as the extension
 * owner, the way ri_triggers.c runs foreign-key checks as the table owner, so a clerk who may
 * only INSERT into a guarded table is checked all the same.
 *
 * The trigger (BEFORE INSERT OR UPDATE, FOR EACH ROW) follows the concurrency protocol of
 * docs/internals.md: lock the enterprise row FOR KEY SHARE (direct index probe of
 * enterprise_pkey and table_tuple_lock(), like the foreign-key check's SELECT ... FOR KEY SHARE),
 * create a placeholder enterprise when it is missing, and only then read the record with a
 * fresh snapshot (GetLatestSnapshot()), so a sanction committed while we waited is seen.  Later
 * rows of the same enterprise in the same statement reuse that record (ca_guard_record()).
 *
 * Per statement state (fn_extra; the trigger's FmgrInfo lives in the executor's query context):
 * the enterprise relation and index and the record reader are opened once per statement.  As
 * score.c's reader does, the relation references belong to the top transaction resource owner
 * (a subtransaction abort inside the statement cannot release them); a reset callback on that
 * context closes them when the executor ends, a transaction callback closes leftovers at commit
 * and forgets them at abort (the resource owner releases them then).  Nothing that holds a lock
 * outlives the transaction.
 *
 * Cross-statement configuration (docs/internals.md "The guard's configuration cache"): what the
 * trigger derives from guarded_table, program and score_rule (entry per trigger relation with
 * resolved columns and mode, programs, score rules, the enterprise_pkey equality) is kept for the
 * life of the backend in a generation under CacheMemoryContext, pinned by each statement using
 * it.  Row changes of those tables fire the statement trigger credit_audit_guard_config_changed,
 * which sends a relcache invalidation of the table (transactional: applied here at the next
 * CommandCounterIncrement, sent to the others at commit, applied again here at abort); our
 * relcache callback marks the generation stale (InvalidOid, the configuration tables) or drops
 * an entry (DDL on the guarded table or its partition, guard(), unguard()).  Each statement
 * calls AcceptInvalidationMessages() first.  The configuration is read with GetLatestSnapshot()
 * taken after the pending invalidations, and read again if one was processed while reading: a
 * cache is never older than a change whose invalidation was processed, whatever the isolation
 * level of the transaction that built it.  So REPEATABLE READ and SERIALIZABLE transactions are
 * judged by the latest committed configuration, as they already were by the latest committed
 * sanctions (the protocol above) and score rules; the alternative (the transaction's snapshot)
 * would let such a transaction cache values that a later one reuses after a change.  Without
 * the statement triggers (a database still at 1.0) a generation serves one statement only.
 */
#include "credit_audit.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "lib/ilist.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(ca_eligibility);
PG_FUNCTION_INFO_V1(ca_is_eligible);
PG_FUNCTION_INFO_V1(ca_guard);
PG_FUNCTION_INFO_V1(ca_unguard);
PG_FUNCTION_INFO_V1(ca_guard_trigger);
PG_FUNCTION_INFO_V1(ca_guard_config_changed);

/*
 * Row triggers of one event fire in name order.  The guard judges the row as it stands when the
 * guard fires, so it must be the last BEFORE ROW trigger: its name sorts after the usual ones,
 * and ca_check_trigger_order() refuses a table where another one would still fire after it.
 */
#define CA_GUARD_TRIGGER "zz_credit_audit_guard"
#define CA_ELIGIBILITY_CONSTRAINT "credit_audit_eligibility"

/* Column numbers of credit_audit.program and credit_audit.guarded_table (10_tables.sql). */
#define Anum_program_code 1
#define Anum_program_department 3
#define Anum_program_min_score 4
#define Anum_program_blocking_severity 5

#define Anum_guarded_tbl 1
#define Anum_guarded_uscc_column 2
#define Anum_guarded_uscc_attnum 3
#define Anum_guarded_date_column 4
#define Anum_guarded_date_attnum 5
#define Anum_guarded_amount_column 6
#define Anum_guarded_amount_attnum 7
#define Anum_guarded_program 8
#define Anum_guarded_program_column 9
#define Anum_guarded_program_attnum 10
#define Anum_guarded_key_columns 11
#define Anum_guarded_key_attnums 12
#define Anum_guarded_mode 13

typedef enum CaGuardMode
{
	CA_MODE_BLOCK,
	CA_MODE_RECORD,
	CA_MODE_OFF
} CaGuardMode;

/* What a guarded column must be. */
typedef enum CaColKind
{
	CA_COL_USCC,
	CA_COL_DATE,
	CA_COL_AMOUNT,
	CA_COL_PROGRAM,
	CA_COL_KEY
} CaColKind;

static const char *const ca_col_role[] = {
	[CA_COL_USCC] = "enterprise",
	[CA_COL_DATE] = "date",
	[CA_COL_AMOUNT] = "amount",
	[CA_COL_PROGRAM] = "program",
	[CA_COL_KEY] = "key",
};

/* One row of credit_audit.program. */
typedef struct CaProgram
{
	char	   *code;
	int			code_len;
	char	   *department;		/* NULL if none */
	Datum		min_score;		/* numeric */
	double		min_score_f;	/* -1 until first used (min_score is never negative) */
	int			blocking_rank;
} CaProgram;

typedef struct CaPrograms
{
	int			n;
	CaProgram  *items;
	int			last;			/* index of the last hit, tried first */
} CaPrograms;

/* The outcome of the rule for one enterprise, program and date. */
typedef struct CaJudgement
{
	bool		eligible;
	bool		low_score;
	double		score;
	int			nblocking;
	int		   *blocking;		/* indexes into the record's sanctions */
} CaJudgement;

/*
 * The configuration the trigger derives from credit_audit.guarded_table, program and score_rule,
 * kept across statements for the life of the backend (see "Cross-statement configuration" at
 * the top of the file).  One generation is current; a statement pins the generation it started
 * with, so a rebuild by a nested statement never frees what an outer one still uses.
 */
typedef struct CaGuardConfig
{
	MemoryContext cxt;			/* child of CacheMemoryContext; holds everything below */
	int			refcount;		/* statements using it */
	bool		stale;			/* an invalidation came: the next statement builds anew */
	Oid			watched[5];		/* relids whose relcache invalidation makes it stale */
	CaPrograms	programs;
	CaRules    *rules;			/* NULL until the first sanction read (score.c's provider) */
	FmgrInfo	uscc_eq;		/* equality of enterprise_pkey's column */
	HTAB	   *entries;		/* CaGuardEntry by trigger relid */
} CaGuardConfig;

/* What the trigger of one relation (a guarded table or one of its partitions) works with. */
typedef struct CaGuardEntry
{
	Oid			relid;			/* hash key: the trigger's relation */
	bool		valid;			/* false: rebuild at the next statement */
	Oid			guarded_relid;	/* the table given to guard() */
	CaGuardMode mode;
	AttrNumber	uscc_att;		/* attnums in the trigger's relation */
	AttrNumber	date_att;
	AttrNumber	amount_att;
	Oid			amount_type;	/* base type: numeric, int2, int4 or int8 */
	AttrNumber	program_att;	/* 0 when the program is fixed */
	int			nkeys;
	AttrNumber *key_atts;		/* in the generation's context */
	int			fixed_program;	/* index into the generation's programs, or -1 */
	Oid			checked_tgoid[2];	/* guard trigger whose order was checked: INSERT, UPDATE */
} CaGuardEntry;

/* Per-statement state of one trigger (fn_extra). */
typedef struct CaGuardCache
{
	dlist_node	node;			/* in ca_live_caches while its relations are open */
	FmgrInfo   *flinfo;
	MemoryContext cxt;			/* fn_mcxt: the executor's query context */
	MemoryContext rowcxt;		/* reset per row */
	bool		dead;			/* relations closed or released: rebuild before use */
	bool		opened;			/* relations are open (mode is not off) */
	CaGuardConfig *cfg;			/* pinned generation (NULL once released) */

	Oid			relid;			/* the trigger's relation (a partition, perhaps) */
	Oid			guarded_relid;	/* the table given to guard() */
	char	   *source_table;	/* its quoted, schema-qualified name (made for the first finding) */
	CaGuardMode mode;
	AttrNumber	uscc_att;		/* attnums in the trigger's relation */
	AttrNumber	date_att;
	AttrNumber	amount_att;
	Oid			amount_type;	/* base type: numeric, int2, int4 or int8 */
	AttrNumber	program_att;	/* 0 when the program is fixed */
	int			nkeys;
	AttrNumber *key_atts;
	int			fixed_program;	/* index into programs, or -1 */
	CaPrograms *programs;		/* the pinned generation's */

	Relation	ent_rel;
	Relation	ent_idx;
	TupleTableSlot *ent_slot;
	FmgrInfo   *uscc_eq;		/* the pinned generation's */
	CaRecordReader *reader;

	/*
	 * Records of enterprises already locked by this statement (see ca_guard_record()), valid
	 * while the command counter has not moved; at most CA_REC_CACHE_MAX of them and work_mem of
	 * memory, then started afresh.
	 */
	HTAB	   *records;
	MemoryContext records_cxt;	/* made at the statement's second row */
	long		nrecords;
	uint64		rows;			/* rows judged so far in this statement */
} CaGuardCache;

#define CA_REC_CACHE_MAX 65536

typedef struct CaCachedRecord
{
	Uscc		uscc;			/* hash key */
	CommandId	cid;
	CaRecord	rec;
} CaCachedRecord;

static dlist_head ca_live_caches = DLIST_STATIC_INIT(ca_live_caches);
static bool ca_xact_callbacks_registered = false;

static SPIPlanPtr ca_placeholder_plan = NULL;
static Oid	ca_placeholder_plan_uscc = InvalidOid;

/* ---------------------------------------------------------------------------------------- */
/* small helpers */

/* A date as ISO text whatever DateStyle says (messages and details must be stable). */
static char *
ca_date_text(DateADT d)
{
	int			y,
				m,
				day;

	if (DATE_IS_NOBEGIN(d))
		return pstrdup("-infinity");
	if (DATE_IS_NOEND(d))
		return pstrdup("infinity");
	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	if (y <= 0)
		return psprintf("%04d-%02d-%02d BC", 1 - y, m, day);
	return psprintf("%04d-%02d-%02d", y, m, day);
}

static char *
ca_numeric_text(Datum num)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, num));
}

static bool
ca_owns_table(Oid relid)
{
#if PG_VERSION_NUM >= 160000
	return object_ownercheck(RelationRelationId, relid, GetUserId());
#else
	return pg_class_ownercheck(relid, GetUserId());
#endif
}

static void
ca_check_owner(Oid relid)
{
	if (!ca_owns_table(relid))
		aclcheck_error(ACLCHECK_NOT_OWNER, get_relkind_objtype(get_rel_relkind(relid)),
					   get_rel_name(relid));
}

static CaGuardMode
ca_parse_mode(const char *s)
{
	if (strcmp(s, "block") == 0)
		return CA_MODE_BLOCK;
	if (strcmp(s, "record") == 0)
		return CA_MODE_RECORD;
	if (strcmp(s, "off") == 0)
		return CA_MODE_OFF;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid guard mode \"%s\"", s),
			 errhint("Use \"block\", \"record\" or \"off\".")));
	return CA_MODE_OFF;			/* keep compiler quiet */
}

/* ---------------------------------------------------------------------------------------- */
/* programs */

/* Every row of credit_audit.program (a small table), copied into cxt. */
static void
ca_programs_load(MemoryContext cxt, Snapshot snapshot, CaPrograms *out)
{
	Relation	rel = table_open(ca_relation_oid(CA_REL_PROGRAM), AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);
	int			cap = 16;
	HeapTuple	tup;
	MemoryContext old = MemoryContextSwitchTo(cxt);
	Datum	   *values = palloc(desc->natts * sizeof(Datum));
	bool	   *nulls = palloc(desc->natts * sizeof(bool));

	out->n = 0;
	out->last = 0;
	out->items = palloc(cap * sizeof(CaProgram));
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		CaProgram  *p;

		if (out->n == cap)
		{
			cap *= 2;
			out->items = repalloc(out->items, cap * sizeof(CaProgram));
		}
		p = &out->items[out->n++];
		/* one deform instead of attribute-by-attribute access past the text columns */
		heap_deform_tuple(tup, desc, values, nulls);
		p->code = TextDatumGetCString(values[Anum_program_code - 1]);
		p->code_len = strlen(p->code);
		p->department = nulls[Anum_program_department - 1] ? NULL :
			TextDatumGetCString(values[Anum_program_department - 1]);
		p->min_score = datumCopy(values[Anum_program_min_score - 1], false, -1);
		p->min_score_f = -1;	/* converted when the program is first used */
		p->blocking_rank = ca_severity_rank(DatumGetObjectId(values[Anum_program_blocking_severity - 1]));
	}
	MemoryContextSwitchTo(old);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* The program's min_score as a double, converted on first use. */
static inline double
ca_program_min_score(CaProgram *p)
{
	if (p->min_score_f < 0)
		p->min_score_f = DatumGetFloat8(DirectFunctionCall1(numeric_float8, p->min_score));
	return p->min_score_f;
}

/* Index of the program with that code, or -1. */
static int
ca_programs_find(CaPrograms *set, const char *code, int len)
{
	if (set->n > 0)
	{
		CaProgram  *p = &set->items[set->last];

		if (p->code_len == len && memcmp(p->code, code, len) == 0)
			return set->last;
	}
	for (int i = 0; i < set->n; i++)
	{
		CaProgram  *p = &set->items[i];

		if (p->code_len == len && memcmp(p->code, code, len) == 0)
		{
			set->last = i;
			return i;
		}
	}
	return -1;
}

static void
ca_unknown_program(const char *code, int len)
{
	ereport(ERROR,
			(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
			 errmsg("program \"%.*s\" does not exist", len, code),
			 errdetail("Programs are the rows of table credit_audit.program.")));
}

/* ---------------------------------------------------------------------------------------- */
/* the rule */

static int
ca_blocking_cmp(const void *a, const void *b, void *arg)
{
	const CaSanction *s = (const CaSanction *) arg;
	const CaSanction *x = &s[*(const int *) a];
	const CaSanction *y = &s[*(const int *) b];

	if (x->listed_on != y->listed_on)
		return x->listed_on < y->listed_on ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return 0;
}

/*
 * DESIGN.md "Eligibility": ineligible iff a non-revoked sanction with severity >=
 * blocking_severity has listed_on <= d < coalesce(removed_on, infinity), or the listing-basis
 * score on d is below min_score.  Blocking sanctions come out ordered by listed_on, id.
 */
static void
ca_judge(const CaRecord *rec, CaProgram *p, DateADT d, CaJudgement *j)
{
	j->nblocking = 0;
	j->blocking = rec->nsanctions > 0 ? palloc(rec->nsanctions * sizeof(int)) : NULL;
	for (int i = 0; i < rec->nsanctions; i++)
	{
		const CaSanction *s = &rec->sanctions[i];

		if (!s->revoked && s->severity >= p->blocking_rank &&
			s->listed_on <= d && d < s->removed_on)
			j->blocking[j->nblocking++] = i;
	}
	if (j->nblocking > 1)
		qsort_arg(j->blocking, j->nblocking, sizeof(int), ca_blocking_cmp,
				  (void *) rec->sanctions);
	/* compare the score as shown (2 decimals): 69.996 shows as 70.00 and is not refused */
	j->score = ca_score_round(ca_score_compute(rec, d, CA_BASIS_LISTING));
	j->low_score = j->score < ca_program_min_score(p);
	j->eligible = (j->nblocking == 0 && !j->low_score);
}

/* ---------------------------------------------------------------------------------------- */
/* eligibility() and is_eligible() */

static void
ca_check_select(CaRelId rel)
{
	Oid			relid = ca_relation_oid(rel);

	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(relid));
}

/*
 * Judge u for program on d with the statement's snapshot, as the calling user.  reader: one
 * kept by the caller for the query, or NULL to open one for this call.
 */
static void
ca_eligibility_compute(CaRecordReader *reader, const Uscc *u, text *program, DateADT d,
					   CaProgram **prog_out, CaRecord *rec, CaJudgement *j)
{
	CaPrograms	programs;
	bool		own_reader = (reader == NULL);
	int			idx;

	/* the caller reads credit data: it needs the right to (the trigger reads as the owner) */
	ca_check_select(CA_REL_PROGRAM);
	ca_check_select(CA_REL_SANCTION);
	ca_check_select(CA_REL_CREDIT_EVENT);

	ca_programs_load(CurrentMemoryContext, GetActiveSnapshot(), &programs);
	idx = ca_programs_find(&programs, VARDATA_ANY(program), VARSIZE_ANY_EXHDR(program));
	if (idx < 0)
		ca_unknown_program(VARDATA_ANY(program), VARSIZE_ANY_EXHDR(program));
	*prog_out = &programs.items[idx];

	if (own_reader)
		reader = ca_record_reader_open(CurrentMemoryContext);
	ca_record_read(reader, u, GetActiveSnapshot(), rec);
	if (own_reader)
		ca_record_reader_close(reader);
	ca_judge(rec, *prog_out, d, j);
}

Datum
ca_eligibility(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		TupleDesc	desc;
		CaProgram  *prog;
		CaRecord	rec;
		CaJudgement j;
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		Datum	   *ids;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		desc = BlessTupleDesc(desc);

		/* fn_extra belongs to the SRF machinery here: a reader for this call */
		ca_eligibility_compute(NULL, PG_GETARG_USCC_P(0), PG_GETARG_TEXT_PP(1),
							   PG_GETARG_DATEADT(2), &prog, &rec, &j);

		/* blocking sanctions by id */
		ids = palloc((j.nblocking + 1) * sizeof(Datum));
		for (int i = 0; i < j.nblocking; i++)
			ids[i] = Int64GetDatum(rec.sanctions[j.blocking[i]].id);
		for (int i = 1; i < j.nblocking; i++)
			for (int k = i; k > 0 && DatumGetInt64(ids[k - 1]) > DatumGetInt64(ids[k]); k--)
			{
				Datum		t = ids[k];

				ids[k] = ids[k - 1];
				ids[k - 1] = t;
			}

		values[0] = BoolGetDatum(j.eligible);
		values[1] = ca_score_numeric(j.score);
		values[2] = prog->min_score;
		values[3] = PointerGetDatum(construct_array(ids, j.nblocking, INT8OID, sizeof(int64),
													FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		funcctx->user_fctx = heap_form_tuple(desc, values, nulls);
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	if (funcctx->call_cntr == 0)
		SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum((HeapTuple) funcctx->user_fctx));
	SRF_RETURN_DONE(funcctx);
}

Datum
ca_is_eligible(PG_FUNCTION_ARGS)
{
	CaProgram  *prog;
	CaRecord	rec;
	CaJudgement j;

	/* the reader is kept for the query (it closes itself with fn_mcxt or the transaction) */
	if (fcinfo->flinfo->fn_extra == NULL)
	{
		ca_check_select(CA_REL_PROGRAM);	/* before locking what the caller may not read */
		ca_check_select(CA_REL_SANCTION);
		ca_check_select(CA_REL_CREDIT_EVENT);
		fcinfo->flinfo->fn_extra = ca_record_reader_open(fcinfo->flinfo->fn_mcxt);
	}
	ca_eligibility_compute((CaRecordReader *) fcinfo->flinfo->fn_extra, PG_GETARG_USCC_P(0),
						   PG_GETARG_TEXT_PP(1), PG_GETARG_DATEADT(2), &prog, &rec, &j);
	PG_RETURN_BOOL(j.eligible);
}

/* ---------------------------------------------------------------------------------------- */
/* guarded columns */

static bool
ca_col_type_ok(CaColKind kind, Oid typid)
{
	Oid			base = getBaseType(typid);

	switch (kind)
	{
		case CA_COL_USCC:
			return base == ca_uscc_type_oid();
		case CA_COL_DATE:
			return base == DATEOID;
		case CA_COL_AMOUNT:
			return base == NUMERICOID || base == INT2OID || base == INT4OID || base == INT8OID;
		case CA_COL_PROGRAM:
			return base == TEXTOID || base == VARCHAROID;
		case CA_COL_KEY:
			return true;
	}
	return false;
}

static const char *
ca_col_expected(CaColKind kind)
{
	switch (kind)
	{
		case CA_COL_USCC:
			return "credit_audit.uscc";
		case CA_COL_DATE:
			return "date";
		case CA_COL_AMOUNT:
			return "numeric, smallint, integer or bigint";
		case CA_COL_PROGRAM:
			return "text or varchar";
		case CA_COL_KEY:
			break;
	}
	return "any";
}

/* guard(): the column named name in rel, checked for its role. */
static AttrNumber
ca_guard_column(Relation rel, const char *name, CaColKind kind)
{
	TupleDesc	desc = RelationGetDescr(rel);

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || strcmp(NameStr(att->attname), name) != 0)
			continue;
		if (!ca_col_type_ok(kind, att->atttypid))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of relation \"%s\" cannot be the %s column of a guarded table",
							name, RelationGetRelationName(rel), ca_col_role[kind]),
					 errdetail("Its type is %s; the %s column must be of type %s.",
							   format_type_be(att->atttypid), ca_col_role[kind],
							   ca_col_expected(kind))));
		return att->attnum;
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("column \"%s\" of relation \"%s\" does not exist",
					name, RelationGetRelationName(rel))));
	return InvalidAttrNumber;	/* keep compiler quiet */
}

/* One guarded column as guarded_table stores it. */
typedef struct CaStoredCol
{
	AttrNumber	attnum;
	const char *name;
	CaColKind	kind;
	AttrNumber	resolved;
} CaStoredCol;

/* The live column named name of the right kind, or 0. */
static AttrNumber
ca_column_by_name(TupleDesc desc, const char *name, CaColKind kind)
{
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return ca_col_type_ok(kind, att->atttypid) ? att->attnum : InvalidAttrNumber;
	}
	return InvalidAttrNumber;
}

/*
 * Trigger: the stored columns in the guarded table as it is now, all by number or all by name.
 * By number when every stored number is a live column of the right type and no stored name now
 * belongs to another column (renames since guard() keep working).  Otherwise by name when every
 * stored name is a live column of the right type: a restore renumbers the columns of a table
 * that had dropped ones, and the names are those of guard() time.  Anything else is an error
 * asking the owner to run guard() again.
 */
static void
ca_resolve_columns(Relation rel, CaStoredCol *cols, int ncols)
{
	TupleDesc	desc = RelationGetDescr(rel);
	bool		by_number = true;
	bool		by_name = true;

	for (int i = 0; i < ncols && by_number; i++)
	{
		CaStoredCol *c = &cols[i];
		Form_pg_attribute att;
		AttrNumber	named;

		if (c->attnum < 1 || c->attnum > desc->natts)
		{
			by_number = false;
			break;
		}
		att = TupleDescAttr(desc, c->attnum - 1);
		named = ca_column_by_name(desc, c->name, CA_COL_KEY);
		if (att->attisdropped || !ca_col_type_ok(c->kind, att->atttypid) ||
			(named != InvalidAttrNumber && named != c->attnum))
			by_number = false;
	}
	if (by_number)
	{
		for (int i = 0; i < ncols; i++)
			cols[i].resolved = cols[i].attnum;
		return;
	}
	for (int i = 0; i < ncols; i++)
	{
		cols[i].resolved = ca_column_by_name(desc, cols[i].name, cols[i].kind);
		if (cols[i].resolved == InvalidAttrNumber)
			by_name = false;
	}
	if (by_name)
		return;
	for (int i = 0; i < ncols; i++)
		if (cols[i].resolved == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("guarded table \"%s\" has changed: its %s column \"%s\" (number %d) cannot be found",
							RelationGetRelationName(rel), ca_col_role[cols[i].kind],
							cols[i].name, cols[i].attnum),
					 errhint("Run credit_audit.guard() on the table again.")));
}

/* ---------------------------------------------------------------------------------------- */
/* guard() and unguard() */

static Datum
ca_name_datum(const char *s)
{
	Name		n = (Name) palloc0(NAMEDATALEN);

	namestrcpy(n, s);
	return NameGetDatum(n);
}

static char *
ca_qualified_name(Relation rel)
{
	return quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
									  RelationGetRelationName(rel));
}

static void
ca_spi_exec(const char *sql, int expect)
{
	int			rc = SPI_execute(sql, false, 0);

	if (rc != expect)
		elog(ERROR, "SPI_execute failed (%s): %s", SPI_result_code_string(rc), sql);
}

Datum
ca_guard(PG_FUNCTION_ARGS)
{
	Oid			relid;
	Relation	rel;
	const char *uscc_col,
			   *date_col,
			   *amount_col,
			   *program_col = NULL;
	char	   *program = NULL;
	char	   *mode_s;
	AttrNumber	uscc_att,
				date_att,
				amount_att,
				program_att = InvalidAttrNumber;
	int			nkeys = 0;
	Datum	   *key_names;
	Datum	   *key_atts;
	Oid			save_userid;
	int			save_sec;
	Oid			argtypes[13] = {REGCLASSOID, NAMEOID, INT2OID, NAMEOID, INT2OID, NAMEOID, INT2OID,
	TEXTOID, NAMEOID, INT2OID, NAMEARRAYOID, INT2ARRAYOID, TEXTOID};
	Datum		values[13];
	char		nulls[13];
	int			rc;
	char	   *qualified;

	for (int i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not be null",
							i == 0 ? "table" : i == 1 ? "uscc_column" : i == 2 ? "date_column" : "amount_column")));
	if (PG_ARGISNULL(6))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("mode must not be null"),
				 errhint("Use \"block\", \"record\" or \"off\".")));
	relid = PG_GETARG_OID(0);
	uscc_col = NameStr(*PG_GETARG_NAME(1));
	date_col = NameStr(*PG_GETARG_NAME(2));
	amount_col = NameStr(*PG_GETARG_NAME(3));
	if (!PG_ARGISNULL(4))
		program = text_to_cstring(PG_GETARG_TEXT_PP(4));
	if (!PG_ARGISNULL(5))
		program_col = NameStr(*PG_GETARG_NAME(5));
	mode_s = text_to_cstring(PG_GETARG_TEXT_PP(6));

	if ((program == NULL) == (program_col == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("exactly one of program and program_column must be given"),
				 errhint("Pass program for a table whose grants all belong to one program, program_column for a table that names the program in each row.")));
	(void) ca_parse_mode(mode_s);

	/* owner first, then the lock CREATE TRIGGER takes */
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	ca_check_owner(relid);
	rel = table_open(relid, ShareRowExclusiveLock);
	if (rel->rd_rel->relkind != RELKIND_RELATION &&
		rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", RelationGetRelationName(rel)),
				 errdetail("Only plain and partitioned tables can be guarded.")));
	if (rel->rd_rel->relispartition)
	{
		ListCell   *lc;

		foreach(lc, get_partition_ancestors(relid))
		{
			Oid			anc = lfirst_oid(lc);

			if (OidIsValid(get_trigger_oid(anc, CA_GUARD_TRIGGER, true)))
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("\"%s\" is a partition of guarded table \"%s\"",
								RelationGetRelationName(rel), get_rel_name(anc)),
						 errdetail("Its rows are checked by the guard of the partitioned table.")));
		}
	}

	uscc_att = ca_guard_column(rel, uscc_col, CA_COL_USCC);
	date_att = ca_guard_column(rel, date_col, CA_COL_DATE);
	amount_att = ca_guard_column(rel, amount_col, CA_COL_AMOUNT);
	if (program_col)
		program_att = ca_guard_column(rel, program_col, CA_COL_PROGRAM);

	if (!PG_ARGISNULL(7))
	{
		const char *key_col = NameStr(*PG_GETARG_NAME(7));

		nkeys = 1;
		key_names = palloc(sizeof(Datum));
		key_atts = palloc(sizeof(Datum));
		key_atts[0] = Int16GetDatum(ca_guard_column(rel, key_col, CA_COL_KEY));
		key_names[0] = ca_name_datum(key_col);
	}
	else
	{
		Oid			pk;
		HeapTuple	itup;
		Form_pg_index idx;

		(void) RelationGetIndexList(rel);	/* computes rd_pkindex */
		pk = rel->rd_pkindex;
		if (!OidIsValid(pk))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
					 errmsg("table \"%s\" has no primary key", RelationGetRelationName(rel)),
					 errhint("Pass key_column: a column that identifies a row in findings.")));
		itup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(pk));
		if (!HeapTupleIsValid(itup))
			elog(ERROR, "cache lookup failed for index %u", pk);
		idx = (Form_pg_index) GETSTRUCT(itup);
		nkeys = idx->indnkeyatts;
		key_names = palloc(nkeys * sizeof(Datum));
		key_atts = palloc(nkeys * sizeof(Datum));
		for (int i = 0; i < nkeys; i++)
		{
			AttrNumber	a = idx->indkey.values[i];

			key_atts[i] = Int16GetDatum(a);
			key_names[i] = ca_name_datum(NameStr(TupleDescAttr(RelationGetDescr(rel), a - 1)->attname));
		}
		ReleaseSysCache(itup);
	}

	if (program)
	{
		CaPrograms	programs;

		ca_programs_load(CurrentMemoryContext, GetActiveSnapshot(), &programs);
		if (ca_programs_find(&programs, program, strlen(program)) < 0)
			ca_unknown_program(program, strlen(program));
	}

	values[0] = ObjectIdGetDatum(relid);
	values[1] = ca_name_datum(uscc_col);
	values[2] = Int16GetDatum(uscc_att);
	values[3] = ca_name_datum(date_col);
	values[4] = Int16GetDatum(date_att);
	values[5] = ca_name_datum(amount_col);
	values[6] = Int16GetDatum(amount_att);
	values[7] = program ? CStringGetTextDatum(program) : (Datum) 0;
	values[8] = program_col ? ca_name_datum(program_col) : (Datum) 0;
	values[9] = Int16GetDatum(program_att);
	values[10] = PointerGetDatum(construct_array(key_names, nkeys, NAMEOID, NAMEDATALEN, false,
												 TYPALIGN_CHAR));
	values[11] = PointerGetDatum(construct_array(key_atts, nkeys, INT2OID, sizeof(int16), true,
												 TYPALIGN_SHORT));
	values[12] = CStringGetTextDatum(mode_s);
	memset(nulls, ' ', sizeof(nulls));
	if (!program)
		nulls[7] = 'n';
	if (!program_col)
		nulls[8] = nulls[9] = 'n';

	qualified = ca_qualified_name(rel);

	/* the owner of the extension writes its tables and attaches the trigger */
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(ca_extension_owner(), save_sec | SECURITY_LOCAL_USERID_CHANGE);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args(
							   "INSERT INTO credit_audit.guarded_table AS g"
							   " (tbl, uscc_column, uscc_attnum, date_column, date_attnum,"
							   "  amount_column, amount_attnum, program, program_column, program_attnum,"
							   "  key_columns, key_attnums, mode)"
							   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
							   " ON CONFLICT (tbl) DO UPDATE SET"
							   " uscc_column = excluded.uscc_column, uscc_attnum = excluded.uscc_attnum,"
							   " date_column = excluded.date_column, date_attnum = excluded.date_attnum,"
							   " amount_column = excluded.amount_column, amount_attnum = excluded.amount_attnum,"
							   " program = excluded.program, program_column = excluded.program_column,"
							   " program_attnum = excluded.program_attnum,"
							   " key_columns = excluded.key_columns, key_attnums = excluded.key_attnums,"
							   " mode = excluded.mode, guarded_at = pg_catalog.now()",
							   13, argtypes, values, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "registering guarded table failed: %s", SPI_result_code_string(rc));
	if (!OidIsValid(get_trigger_oid(relid, CA_GUARD_TRIGGER, true)))
		ca_spi_exec(psprintf("CREATE TRIGGER %s BEFORE INSERT OR UPDATE ON %s"
							 " FOR EACH ROW EXECUTE FUNCTION credit_audit.guard_trigger()",
							 CA_GUARD_TRIGGER, qualified),
					SPI_OK_UTILITY);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	SetUserIdAndSecContext(save_userid, save_sec);

	table_close(rel, NoLock);
	PG_RETURN_VOID();
}

Datum
ca_unguard(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Relation	rel;
	Oid			save_userid;
	int			save_sec;
	Oid			argtypes[1] = {REGCLASSOID};
	Datum		values[1];
	int			rc;
	char	   *qualified;

	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	ca_check_owner(relid);
	rel = table_open(relid, ShareRowExclusiveLock);
	qualified = ca_qualified_name(rel);
	values[0] = ObjectIdGetDatum(relid);

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(ca_extension_owner(), save_sec | SECURITY_LOCAL_USERID_CHANGE);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args("DELETE FROM credit_audit.guarded_table"
							   " WHERE tbl OPERATOR(pg_catalog.=) $1",
							   1, argtypes, values, NULL, false, 0);
	if (rc != SPI_OK_DELETE)
		elog(ERROR, "unregistering guarded table failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("table \"%s\" is not guarded", RelationGetRelationName(rel))));
	if (OidIsValid(get_trigger_oid(relid, CA_GUARD_TRIGGER, true)))
		ca_spi_exec(psprintf("DROP TRIGGER %s ON %s", CA_GUARD_TRIGGER, qualified),
					SPI_OK_UTILITY);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	SetUserIdAndSecContext(save_userid, save_sec);

	table_close(rel, NoLock);
	PG_RETURN_VOID();
}

/* ---------------------------------------------------------------------------------------- */
/* per-statement trigger state */

/* Close the relations a state keeps open (their references belong to the top owner). */
static void
ca_guard_cache_close(CaGuardCache *c)
{
	ResourceOwner save = CurrentResourceOwner;

	dlist_delete(&c->node);
	c->dead = true;
	CurrentResourceOwner = TopTransactionResourceOwner;
	ExecDropSingleTupleTableSlot(c->ent_slot);
	index_close(c->ent_idx, NoLock);
	table_close(c->ent_rel, NoLock);
	CurrentResourceOwner = save;
}

static void
ca_guard_xact_cb(XactEvent event, void *arg)
{
	dlist_mutable_iter it;

	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			dlist_foreach_modify(it, &ca_live_caches)
				ca_guard_cache_close(dlist_container(CaGuardCache, node, it.cur));
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			/* the top resource owner releases the references itself */
			dlist_foreach_modify(it, &ca_live_caches)
			{
				CaGuardCache *c = dlist_container(CaGuardCache, node, it.cur);

				dlist_delete(&c->node);
				c->dead = true;
			}
			break;
		default:
			break;
	}
}

/* ---------------------------------------------------------------------------------------- */
/* cross-statement configuration: generations, entries, invalidation */

#define CA_CONFIG_TRIGGER "credit_audit_guard_config_changed"

static CaGuardConfig *ca_config = NULL;	/* the current generation */
static uint64 ca_inval_seq = 0;	/* relcache invalidations processed (any relation) */

/*
 * Reads of the configuration that an invalidation overtook are repeated; after this many the
 * last one is used for its statement only (with debug_discard_caches every read is overtaken).
 */
#define CA_CONFIG_READ_ATTEMPTS 3
static bool ca_config_callback_registered = false;

static void
ca_config_unpin(CaGuardConfig *cfg)
{
	Assert(cfg->refcount > 0);
	if (--cfg->refcount == 0 && cfg != ca_config)
		MemoryContextDelete(cfg->cxt);
}

/*
 * Relcache invalidation (also what the statement triggers on guarded_table, program and
 * score_rule send, see ca_guard_config_changed()): InvalidOid (reset everything) or one of the
 * configuration's relations makes the whole generation stale; the trigger's relation or its
 * guarded ancestor drops that relation's entry (DDL, guard(), unguard(), triggers added or
 * removed).  Nothing is freed here: the next statement rebuilds.
 */
static void
ca_config_relcache_cb(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS hs;
	CaGuardEntry *e;

	ca_inval_seq++;
	if (ca_config == NULL || ca_config->stale)
		return;
	if (!OidIsValid(relid))
	{
		ca_config->stale = true;
		return;
	}
	for (int i = 0; i < (int) lengthof(ca_config->watched); i++)
		if (ca_config->watched[i] == relid)
		{
			ca_config->stale = true;
			return;
		}
	hash_seq_init(&hs, ca_config->entries);
	while ((e = (CaGuardEntry *) hash_seq_search(&hs)) != NULL)
		if (e->relid == relid || e->guarded_relid == relid)
			e->valid = false;
}

/*
 * Is the statement trigger that reports row changes of this configuration table there and
 * enabled ALWAYS?  Without it (an extension still at version 1.0 with this library, or the
 * trigger disabled) nothing would tell us of a change: the generation is then used for one
 * statement only.
 */
static bool
ca_config_trigger_ok(Relation rel)
{
	TriggerDesc *td = rel->trigdesc;

	if (td == NULL)
		return false;
	for (int i = 0; i < td->numtriggers; i++)
	{
		Trigger    *t = &td->triggers[i];

		if (strcmp(t->tgname, CA_CONFIG_TRIGGER) == 0)
			return t->tgenabled == TRIGGER_FIRES_ALWAYS &&
				!TRIGGER_FOR_ROW(t->tgtype) && TRIGGER_FOR_AFTER(t->tgtype) &&
				TRIGGER_FOR_INSERT(t->tgtype) && TRIGGER_FOR_UPDATE(t->tgtype) &&
				TRIGGER_FOR_DELETE(t->tgtype) && TRIGGER_FOR_TRUNCATE(t->tgtype);
	}
	return false;
}

/*
 * The current generation, pinned for the caller's statement (ca_config_unpin() when done).
 * Pending invalidations are taken in first, so a change committed before this statement
 * started (or made by this transaction's earlier commands) is seen; a stale generation is
 * replaced by one read with a snapshot taken after them (see the top of the file).
 */
static CaGuardConfig *
ca_config_acquire(void)
{
	CaGuardConfig *cfg;
	MemoryContext cxt;
	MemoryContext old;
	Relation	gt,
				prog,
				rules;
	bool		keep;
	Oid			eqop;
	Relation	ent_idx;

	if (!ca_config_callback_registered)
	{
		CacheRegisterRelcacheCallback(ca_config_relcache_cb, (Datum) 0);
		ca_config_callback_registered = true;
	}
	AcceptInvalidationMessages();
	if (ca_config != NULL && !ca_config->stale)
	{
		ca_config->refcount++;
		return ca_config;
	}

	cxt = AllocSetContextCreate(CacheMemoryContext, "credit_audit guard configuration",
								ALLOCSET_SMALL_SIZES);
	PG_TRY();
	{
		cfg = MemoryContextAllocZero(cxt, sizeof(CaGuardConfig));
		cfg->cxt = cxt;

		/* locks first: taking them processes invalidations, which must precede the snapshot */
		gt = table_open(ca_relation_oid(CA_REL_GUARDED_TABLE), AccessShareLock);
		prog = table_open(ca_relation_oid(CA_REL_PROGRAM), AccessShareLock);
		rules = table_open(ca_relation_oid(CA_REL_SCORE_RULE), AccessShareLock);
		ent_idx = index_open(ca_relation_oid(CA_REL_ENTERPRISE_PKEY), AccessShareLock);
		cfg->watched[0] = RelationGetRelid(gt);
		cfg->watched[1] = RelationGetRelid(prog);
		cfg->watched[2] = RelationGetRelid(rules);
		cfg->watched[3] = ca_relation_oid(CA_REL_ENTERPRISE);
		cfg->watched[4] = RelationGetRelid(ent_idx);

		/*
		 * Everything is read after the pending invalidations, the programs with the latest
		 * snapshot.  Anything that processes an invalidation meanwhile (a catalog lookup taking
		 * a new lock) may concern a change this read predates, and this generation does not
		 * hear of it yet: read again until none came.
		 */
		for (int attempt = 1;; attempt++)
		{
			uint64		seq;
			Snapshot	snap;

			AcceptInvalidationMessages();
			seq = ca_inval_seq;
			keep = ca_config_trigger_ok(gt) && ca_config_trigger_ok(prog) &&
				ca_config_trigger_ok(rules);
			/* equality of uscc for the enterprise_pkey probe: the index's own operator */
			eqop = get_opfamily_member(ent_idx->rd_opfamily[0], ca_uscc_type_oid(),
									   ca_uscc_type_oid(), BTEqualStrategyNumber);
			if (!OidIsValid(eqop))
				elog(ERROR, "equality operator of enterprise_pkey is missing");
			fmgr_info_cxt(get_opcode(eqop), &cfg->uscc_eq, cxt);
			snap = RegisterSnapshot(GetLatestSnapshot());
			ca_programs_load(cxt, snap, &cfg->programs);
			UnregisterSnapshot(snap);
			if (seq == ca_inval_seq)
				break;
			if (attempt >= CA_CONFIG_READ_ATTEMPTS)
			{
				keep = false;	/* invalidations keep coming: for this statement only */
				break;
			}
		}

		old = MemoryContextSwitchTo(cxt);
		{
			HASHCTL		ctl;

			ctl.keysize = sizeof(Oid);
			ctl.entrysize = sizeof(CaGuardEntry);
			ctl.hcxt = cxt;
			cfg->entries = hash_create("credit_audit guard entries", 16, &ctl,
									   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		}
		MemoryContextSwitchTo(old);
		index_close(ent_idx, AccessShareLock);
		table_close(rules, AccessShareLock);
		table_close(prog, AccessShareLock);
		table_close(gt, AccessShareLock);
	}
	PG_CATCH();
	{
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();

	if (ca_config != NULL)
	{
		CaGuardConfig *prev = ca_config;

		ca_config = NULL;
		if (prev->refcount == 0)
			MemoryContextDelete(prev->cxt);
		/* else the last statement using it deletes it (ca_config_unpin) */
	}
	/* without the invalidation triggers, for this statement only */
	cfg->stale = !keep;
	elog(DEBUG1, "credit_audit guard: configuration read%s", keep ? "" : " for one statement");
	cfg->refcount = 1;
	ca_config = cfg;
	return cfg;
}

/*
 * score.c's reader asks for the rules at its first sanction of a statement: loaded once per
 * generation, with a snapshot taken after the pending invalidations (not the reader's).
 */
static CaRules *
ca_config_rules(void *arg, Snapshot snapshot)
{
	CaGuardConfig *cfg = (CaGuardConfig *) arg;

	if (cfg->rules == NULL)
	{
		LockRelationOid(ca_relation_oid(CA_REL_SCORE_RULE), AccessShareLock);
		for (int attempt = 1;; attempt++)
		{
			uint64		seq;
			Snapshot	snap;
			MemoryContext rcxt = AllocSetContextCreate(cfg->cxt, "credit_audit guard rules",
													   ALLOCSET_SMALL_SIZES);

			AcceptInvalidationMessages();
			seq = ca_inval_seq;
			snap = RegisterSnapshot(GetLatestSnapshot());
			cfg->rules = ca_rules_load(rcxt, snap);
			elog(DEBUG1, "credit_audit guard: score rules read");
			UnregisterSnapshot(snap);
			if (seq == ca_inval_seq)
				break;
			if (attempt >= CA_CONFIG_READ_ATTEMPTS)
			{
				/* right for this statement; the generation is read afresh for the next one */
				cfg->stale = true;
				break;
			}
			MemoryContextDelete(rcxt);
			cfg->rules = NULL;
		}
	}
	return cfg->rules;
}

/* The guarded_table row of relid (heap tuple copied into the current context), or NULL. */
static HeapTuple
ca_guarded_entry(Relation gt, Snapshot snapshot, Oid relid)
{
	TableScanDesc scan = table_beginscan(gt, snapshot, 0, NULL);
	HeapTuple	tup;
	HeapTuple	found = NULL;

	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_guarded_tbl, RelationGetDescr(gt), &isnull);

		if (!isnull && DatumGetObjectId(d) == relid)
		{
			found = heap_copytuple(tup);
			break;
		}
	}
	table_endscan(scan);
	return found;
}

static AttrNumber
ca_map_to_partition(Relation guarded, Relation part, AttrNumber att)
{
	const char *name;
	AttrNumber	mapped;

	if (RelationGetRelid(guarded) == RelationGetRelid(part))
		return att;
	name = NameStr(TupleDescAttr(RelationGetDescr(guarded), att - 1)->attname);
	mapped = get_attnum(RelationGetRelid(part), name);
	if (mapped == InvalidAttrNumber)
		elog(ERROR, "column \"%s\" missing in partition \"%s\"", name,
			 RelationGetRelationName(part));
	return mapped;
}

/*
 * Refuse to judge a row that a BEFORE ROW trigger firing after the guard could still change (a
 * trigger that fills in the enterprise code, say, would otherwise get its rows past the check).
 * Runs on the relation the row goes into (a partition has its own list), once per entry and
 * event: adding, dropping, renaming, enabling or disabling a trigger invalidates the relation
 * and so the entry.
 */
static void
ca_check_trigger_order(Relation rel, TriggerData *td)
{
	TriggerDesc *trigdesc = rel->trigdesc;
	bool		seen = false;

	if (trigdesc == NULL)
		return;
	for (int i = 0; i < trigdesc->numtriggers; i++)
	{
		Trigger    *t = &trigdesc->triggers[i];
		int16		type = t->tgtype;
		bool		same_event;

		if (t->tgoid == td->tg_trigger->tgoid)
		{
			seen = true;
			continue;
		}
		if (!seen || t->tgenabled == TRIGGER_DISABLED ||
			!TRIGGER_FOR_ROW(type) || !TRIGGER_FOR_BEFORE(type))
			continue;
		same_event = TRIGGER_FIRED_BY_INSERT(td->tg_event) ? TRIGGER_FOR_INSERT(type)
			: TRIGGER_FOR_UPDATE(type);
		if (same_event)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("trigger \"%s\" on table \"%s\" fires after the eligibility check",
							t->tgname, RelationGetRelationName(rel)),
					 errdetail("BEFORE ROW triggers fire in name order, and \"%s\" could change the row after \"%s\" judged it.",
							   t->tgname, CA_GUARD_TRIGGER),
					 errhint("Rename it so that its name sorts before \"%s\".", CA_GUARD_TRIGGER)));
	}
}

/*
 * Build the entry of trigrel from its guarded_table row (or its partitioned ancestor's) into e,
 * key_atts palloc'd in the current context.  Reads with the latest snapshot, again until no
 * invalidation came while reading (as ca_config_acquire()); false if invalidations kept coming
 * (the entry is then right for this statement but must not be kept).
 */
static bool
ca_entry_build(CaGuardConfig *cfg, Relation trigrel, CaGuardEntry *e)
{
	bool		settled = true;
	Oid			relid = RelationGetRelid(trigrel);
	Relation	gt = table_open(ca_relation_oid(CA_REL_GUARDED_TABLE), AccessShareLock);
	TupleDesc	gdesc = RelationGetDescr(gt);
	List	   *ancestors = NIL;

	if (trigrel->rd_rel->relispartition)
		ancestors = get_partition_ancestors(relid);
	for (int attempt = 1;; attempt++)
	{
		uint64		seq;
		Snapshot	snap;
		HeapTuple	entry;
		Oid			guarded = relid;
		bool		isnull;
		Datum		d;

		AcceptInvalidationMessages();
		seq = ca_inval_seq;
		snap = RegisterSnapshot(GetLatestSnapshot());
		entry = ca_guarded_entry(gt, snap, relid);
		if (entry == NULL)
		{
			ListCell   *lc;

			foreach(lc, ancestors)
			{
				guarded = lfirst_oid(lc);
				if ((entry = ca_guarded_entry(gt, snap, guarded)) != NULL)
					break;
			}
		}
		UnregisterSnapshot(snap);
		if (entry == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("table \"%s\" is not registered as guarded",
							RelationGetRelationName(trigrel)),
					 errhint("Run credit_audit.guard() on the table, or credit_audit.unguard() to remove its trigger.")));

		memset(e, 0, sizeof(CaGuardEntry));
		e->relid = relid;
		e->guarded_relid = guarded;
		e->fixed_program = -1;
		e->mode = ca_parse_mode(TextDatumGetCString(heap_getattr(entry, Anum_guarded_mode, gdesc, &isnull)));
		if (e->mode != CA_MODE_OFF)
		{
			ArrayType  *arr;
			Datum	   *names;
			Datum	   *atts;
			int			nnames;
			CaStoredCol *cols;
			int			ncols = 0;
			bool		has_program_col;
			Relation	grel;

			grel = guarded == relid ? trigrel : table_open(guarded, AccessShareLock);

			/* the stored columns: uscc, date, amount, [program], keys */
			arr = DatumGetArrayTypeP(heap_getattr(entry, Anum_guarded_key_columns, gdesc, &isnull));
			deconstruct_array(arr, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR, &names, NULL, &nnames);
			arr = DatumGetArrayTypeP(heap_getattr(entry, Anum_guarded_key_attnums, gdesc, &isnull));
			deconstruct_array(arr, INT2OID, sizeof(int16), true, TYPALIGN_SHORT, &atts, NULL,
							  &e->nkeys);
			if (nnames != e->nkeys)
				elog(ERROR, "guarded_table entry of \"%s\" is inconsistent", RelationGetRelationName(grel));
			cols = palloc0((4 + e->nkeys) * sizeof(CaStoredCol));
#define CA_STORED(numcol, namecol, k) \
			do { \
				cols[ncols].attnum = DatumGetInt16(heap_getattr(entry, numcol, gdesc, &isnull)); \
				cols[ncols].name = NameStr(*DatumGetName(heap_getattr(entry, namecol, gdesc, &isnull))); \
				cols[ncols++].kind = (k); \
			} while (0)
			CA_STORED(Anum_guarded_uscc_attnum, Anum_guarded_uscc_column, CA_COL_USCC);
			CA_STORED(Anum_guarded_date_attnum, Anum_guarded_date_column, CA_COL_DATE);
			CA_STORED(Anum_guarded_amount_attnum, Anum_guarded_amount_column, CA_COL_AMOUNT);
			heap_getattr(entry, Anum_guarded_program_attnum, gdesc, &isnull);
			has_program_col = !isnull;
			if (has_program_col)
				CA_STORED(Anum_guarded_program_attnum, Anum_guarded_program_column, CA_COL_PROGRAM);
#undef CA_STORED
			for (int i = 0; i < e->nkeys; i++)
			{
				cols[ncols].attnum = DatumGetInt16(atts[i]);
				cols[ncols].name = NameStr(*DatumGetName(names[i]));
				cols[ncols++].kind = CA_COL_KEY;
			}
			ca_resolve_columns(grel, cols, ncols);

			e->uscc_att = ca_map_to_partition(grel, trigrel, cols[0].resolved);
			e->date_att = ca_map_to_partition(grel, trigrel, cols[1].resolved);
			e->amount_att = ca_map_to_partition(grel, trigrel, cols[2].resolved);
			e->amount_type = getBaseType(TupleDescAttr(RelationGetDescr(trigrel),
													   e->amount_att - 1)->atttypid);
			if (has_program_col)
				e->program_att = ca_map_to_partition(grel, trigrel, cols[3].resolved);
			e->key_atts = palloc(e->nkeys * sizeof(AttrNumber));
			for (int i = 0; i < e->nkeys; i++)
				e->key_atts[i] = ca_map_to_partition(grel, trigrel,
													 cols[ncols - e->nkeys + i].resolved);
			if (grel != trigrel)
				table_close(grel, AccessShareLock);

			d = heap_getattr(entry, Anum_guarded_program, gdesc, &isnull);
			if (!isnull)
			{
				char	   *code = TextDatumGetCString(d);

				e->fixed_program = ca_programs_find(&cfg->programs, code, strlen(code));
				if (e->fixed_program < 0)
					ca_unknown_program(code, strlen(code));
			}
		}
		if (seq == ca_inval_seq)
			break;
		if (attempt >= CA_CONFIG_READ_ATTEMPTS)
		{
			settled = false;	/* good for this statement, not to be kept */
			break;
		}
	}
	table_close(gt, AccessShareLock);
	return settled;
}

/*
 * The entry of trigrel in cfg, built if missing or invalidated, its trigger order checked for
 * this event.  Returns a pointer into cfg's hash: copy what must outlive the next build.
 */
static CaGuardEntry *
ca_config_entry(CaGuardConfig *cfg, Relation trigrel, TriggerData *td)
{
	Oid			relid = RelationGetRelid(trigrel);
	CaGuardEntry *e;
	int			ev = TRIGGER_FIRED_BY_INSERT(td->tg_event) ? 0 : 1;
	bool		found;

	e = (CaGuardEntry *) hash_search(cfg->entries, &relid, HASH_FIND, NULL);
	if (e == NULL || !e->valid)
	{
		CaGuardEntry built;
		MemoryContext old;
		AttrNumber *key_atts;
		bool		settled;

		/* built in the statement's memory: an error leaves nothing in the generation */
		settled = ca_entry_build(cfg, trigrel, &built);
		old = MemoryContextSwitchTo(cfg->cxt);
		key_atts = built.nkeys > 0 ? palloc(built.nkeys * sizeof(AttrNumber)) : NULL;
		if (built.nkeys > 0)
			memcpy(key_atts, built.key_atts, built.nkeys * sizeof(AttrNumber));
		MemoryContextSwitchTo(old);
		e = (CaGuardEntry *) hash_search(cfg->entries, &relid, HASH_ENTER, &found);
		if (found && e->key_atts != NULL)
			pfree(e->key_atts);
		*e = built;
		e->key_atts = key_atts;
		/* no invalidation was processed since the read (ca_entry_build() read again if one was) */
		e->valid = settled;
		elog(DEBUG1, "credit_audit guard: entry of \"%s\" read", RelationGetRelationName(trigrel));
	}
	if (e->checked_tgoid[ev] != td->tg_trigger->tgoid)
	{
		ca_check_trigger_order(trigrel, td);
		e->checked_tgoid[ev] = td->tg_trigger->tgoid;
	}
	return e;
}

/* Reset callback of the executor's context: close what the statement kept open. */
static void
ca_guard_cache_release(void *arg)
{
	CaGuardCache *c = (CaGuardCache *) arg;

	if (c->flinfo->fn_extra == c)
		c->flinfo->fn_extra = NULL;
	if (c->opened && !c->dead)
		ca_guard_cache_close(c);
	if (c->cfg != NULL)
	{
		ca_config_unpin(c->cfg);
		c->cfg = NULL;
	}
}

/* ---------------------------------------------------------------------------------------- */

static CaGuardCache *
ca_guard_cache_build(FmgrInfo *flinfo, Relation trigrel, TriggerData *td)
{
	MemoryContext cxt = flinfo->fn_mcxt;
	MemoryContext old;
	CaGuardCache *c;
	CaGuardEntry *e;
	MemoryContextCallback *cb;

	if (!ca_xact_callbacks_registered)
	{
		RegisterXactCallback(ca_guard_xact_cb, NULL);
		ca_xact_callbacks_registered = true;
	}

	old = MemoryContextSwitchTo(cxt);
	c = palloc0(sizeof(CaGuardCache));
	c->flinfo = flinfo;
	c->cxt = cxt;
	c->relid = RelationGetRelid(trigrel);
	c->dead = false;
	/* closes what gets opened below and unpins the generation, whenever the executor's context goes */
	cb = palloc0(sizeof(MemoryContextCallback));
	cb->func = ca_guard_cache_release;
	cb->arg = c;
	MemoryContextRegisterResetCallback(cxt, cb);

	c->cfg = ca_config_acquire();
	e = ca_config_entry(c->cfg, trigrel, td);

	/* this statement's copy: a nested statement may rebuild the entry meanwhile */
	c->guarded_relid = e->guarded_relid;
	c->mode = e->mode;
	c->uscc_att = e->uscc_att;
	c->date_att = e->date_att;
	c->amount_att = e->amount_att;
	c->amount_type = e->amount_type;
	c->program_att = e->program_att;
	c->nkeys = e->nkeys;
	c->key_atts = palloc((e->nkeys + 1) * sizeof(AttrNumber));
	if (e->nkeys > 0)
		memcpy(c->key_atts, e->key_atts, e->nkeys * sizeof(AttrNumber));
	c->fixed_program = e->fixed_program;
	c->programs = &c->cfg->programs;
	c->uscc_eq = &c->cfg->uscc_eq;

	if (c->mode != CA_MODE_OFF)
	{
		/*
		 * Locks as usual (until the end of the transaction; RowShareLock is what SELECT ... FOR
		 * KEY SHARE takes); the relation references belong to the top transaction resource
		 * owner, as the record reader's do.
		 */
		LockRelationOid(ca_relation_oid(CA_REL_ENTERPRISE), RowShareLock);
		LockRelationOid(ca_relation_oid(CA_REL_ENTERPRISE_PKEY), AccessShareLock);

		c->rowcxt = AllocSetContextCreate(cxt, "credit_audit guard row", ALLOCSET_DEFAULT_SIZES);
		{
			ResourceOwner save = CurrentResourceOwner;

			CurrentResourceOwner = TopTransactionResourceOwner;
			PG_TRY();
			{
				c->ent_rel = table_open(ca_relation_oid(CA_REL_ENTERPRISE), NoLock);
				c->ent_idx = index_open(ca_relation_oid(CA_REL_ENTERPRISE_PKEY), NoLock);
				c->ent_slot = table_slot_create(c->ent_rel, NULL);	/* pins its tupdesc */
			}
			PG_FINALLY();
			{
				CurrentResourceOwner = save;
			}
			PG_END_TRY();
		}
		c->opened = true;
		dlist_push_tail(&ca_live_caches, &c->node);
		c->reader = ca_record_reader_open(cxt);
		ca_record_reader_set_rules_provider(c->reader, ca_config_rules, c->cfg);
	}
	MemoryContextSwitchTo(old);
	flinfo->fn_extra = c;
	return c;
}

/* ---------------------------------------------------------------------------------------- */
/* the statement trigger that reports configuration changes */

/*
 * AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE FOR EACH STATEMENT on guarded_table, program and
 * score_rule: row changes send no invalidation by themselves, so this one registers a relcache
 * invalidation of the changed table.  It is transactional: applied in this backend at the next
 * CommandCounterIncrement, sent to the others at commit, applied again here at (sub)transaction
 * abort; every backend's ca_config_relcache_cb() then marks its configuration stale.
 */
Datum
ca_guard_config_changed(PG_FUNCTION_ARGS)
{
	TriggerData *td;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager", "guard_config_changed")));
	td = (TriggerData *) fcinfo->context;
	if (!TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired AFTER STATEMENT", "guard_config_changed")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(td->tg_relation));
	return PointerGetDatum(NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* the protocol: enterprise row lock, placeholder */

/* INSERT the placeholder enterprise; true if this call inserted it. */
static bool
ca_insert_placeholder(const Uscc *u)
{
	Datum		values[1];
	int			rc;
	bool		inserted;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (ca_placeholder_plan != NULL &&
		(ca_placeholder_plan_uscc != ca_uscc_type_oid() || !SPI_plan_is_valid(ca_placeholder_plan)))
	{
		SPI_freeplan(ca_placeholder_plan);
		ca_placeholder_plan = NULL;
	}
	if (ca_placeholder_plan == NULL)
	{
		Oid			argtypes[1] = {ca_uscc_type_oid()};
		SPIPlanPtr	plan = SPI_prepare("INSERT INTO credit_audit.enterprise (uscc, name)"
									   " VALUES ($1, '') ON CONFLICT DO NOTHING",
									   1, argtypes);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		ca_placeholder_plan = plan;
		ca_placeholder_plan_uscc = ca_uscc_type_oid();
	}
	values[0] = UsccPGetDatum(u);
	rc = SPI_execute_plan(ca_placeholder_plan, values, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "inserting placeholder enterprise failed: %s", SPI_result_code_string(rc));
	inserted = (SPI_processed == 1);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	return inserted;
}

/*
 * Hold the enterprise row of u FOR KEY SHARE (or have inserted it in this transaction), so a
 * sanction writer, which locks it FOR UPDATE, waits for us.
 */
static void
ca_lock_enterprise(CaGuardCache *c, const Uscc *u)
{
	for (int attempt = 0;; attempt++)
	{
		Snapshot	snap;
		ScanKeyData key;
		IndexScanDesc scan;
		bool		found;
		ItemPointerData tid;

		if (attempt >= 100)
			elog(ERROR, "could not lock enterprise row after %d attempts", attempt);

		snap = RegisterSnapshot(GetLatestSnapshot());
		ScanKeyEntryInitializeWithInfo(&key, 0, 1, BTEqualStrategyNumber, InvalidOid,
									   InvalidOid, c->uscc_eq, UsccPGetDatum(u));
		scan = index_beginscan(c->ent_rel, c->ent_idx, snap, 1, 0);
		index_rescan(scan, &key, 1, NULL, 0);
		found = index_getnext_slot(scan, ForwardScanDirection, c->ent_slot);
		if (found)
			tid = c->ent_slot->tts_tid;
		index_endscan(scan);
		ExecClearTuple(c->ent_slot);

		if (found)
		{
			TM_FailureData tmfd;
			TM_Result	res;

			res = table_tuple_lock(c->ent_rel, &tid, snap, c->ent_slot,
								   GetCurrentCommandId(false), LockTupleKeyShare, LockWaitBlock,
								   TUPLE_LOCK_FLAG_LOCK_UPDATE_IN_PROGRESS |
								   TUPLE_LOCK_FLAG_FIND_LAST_VERSION,
								   &tmfd);
			ExecClearTuple(c->ent_slot);
			UnregisterSnapshot(snap);
			switch (res)
			{
				case TM_Ok:
				case TM_SelfModified:	/* changed by this command: ours already */
					return;
				case TM_Updated:
				case TM_Deleted:
					continue;	/* look again with a newer snapshot */
				default:
					elog(ERROR, "unexpected table_tuple_lock status %d on enterprise", (int) res);
			}
		}
		else
		{
			UnregisterSnapshot(snap);
			if (ca_insert_placeholder(u))
				return;
			/* someone (perhaps this statement) created it meanwhile: lock that row */
		}
	}
}

/* Deep copy of a record into cxt. */
static void
ca_record_copy(MemoryContext cxt, const CaRecord *src, CaRecord *dst)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);

	dst->nsanctions = src->nsanctions;
	dst->sanctions = palloc((src->nsanctions + 1) * sizeof(CaSanction));
	for (int i = 0; i < src->nsanctions; i++)
	{
		dst->sanctions[i] = src->sanctions[i];
		dst->sanctions[i].department = pstrdup(src->sanctions[i].department);
		dst->sanctions[i].category = pstrdup(src->sanctions[i].category);
	}
	dst->nevents = src->nevents;
	dst->events = palloc((src->nevents + 1) * sizeof(CaEvent));
	if (src->nevents > 0)
		memcpy(dst->events, src->events, src->nevents * sizeof(CaEvent));
	MemoryContextSwitchTo(old);
}

/*
 * The credit record of u for this row, read under the protocol: enterprise row locked FOR KEY
 * SHARE, then read with a fresh snapshot.  The lock lasts until the transaction ends, and a
 * sanction writer must take FOR UPDATE on the same row first, so once this statement has locked
 * and read u, no other transaction can change u's sanctions before we commit: later rows of u in
 * the same statement reuse the record.  Only this transaction could still change them (a
 * function or trigger writing during the statement), and any such write advances the command
 * counter, which invalidates the cached record.  (Credit events are read once per statement and
 * enterprise as well; the protocol does not cover them.)
 */
static void
ca_guard_record(CaGuardCache *c, const Uscc *u, CaRecord *rec)
{
	CommandId	cid = GetCurrentCommandId(false);
	CaCachedRecord *entry;
	bool		found;
	Snapshot	snap;

	/* a one-row statement (the common single INSERT) needs no cache: start at the second row */
	if (c->rows++ == 0)
	{
		ca_lock_enterprise(c, u);
		snap = RegisterSnapshot(GetLatestSnapshot());
		ca_record_read(c->reader, u, snap, rec);
		UnregisterSnapshot(snap);
		return;
	}
	if (c->records_cxt == NULL)
		c->records_cxt = AllocSetContextCreate(c->cxt, "credit_audit guard records",
											   ALLOCSET_DEFAULT_SIZES);
	if (c->records == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Uscc);
		ctl.entrysize = sizeof(CaCachedRecord);
		ctl.hcxt = c->records_cxt;
		c->records = hash_create("credit_audit guard records", 256, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		c->nrecords = 0;
	}
	entry = (CaCachedRecord *) hash_search(c->records, u, HASH_FIND, NULL);
	if (entry != NULL && entry->cid == cid)
	{
		*rec = entry->rec;
		return;
	}

	ca_lock_enterprise(c, u);
	/* after the lock: a fresh snapshot sees every sanction committed while we waited */
	snap = RegisterSnapshot(GetLatestSnapshot());
	ca_record_read(c->reader, u, snap, rec);
	UnregisterSnapshot(snap);

	if (entry == NULL &&
		(c->nrecords >= CA_REC_CACHE_MAX ||
		 MemoryContextMemAllocated(c->records_cxt, true) > (Size) work_mem * 1024))
	{
		/* start afresh: memory stays bounded however many enterprises the statement touches */
		MemoryContextReset(c->records_cxt);
		c->records = NULL;
		return;
	}
	if (c->records == NULL)
		return;
	entry = (CaCachedRecord *) hash_search(c->records, u, HASH_ENTER, &found);
	if (!found)
		c->nrecords++;
	entry->cid = GetCurrentCommandId(false);
	ca_record_copy(c->records_cxt, rec, &entry->rec);
}

/* ---------------------------------------------------------------------------------------- */
/* the trigger */

static bool
ca_column_changed(TupleTableSlot *oldslot, TupleTableSlot *newslot, AttrNumber att)
{
	bool		n1,
				n2;
	Datum		d1 = slot_getattr(oldslot, att, &n1);
	Datum		d2 = slot_getattr(newslot, att, &n2);
	Form_pg_attribute a = TupleDescAttr(newslot->tts_tupleDescriptor, att - 1);

	if (n1 || n2)
		return n1 != n2;
	return !datum_image_eq(d1, d2, a->attbyval, a->attlen);
}

static Datum
ca_amount_numeric(CaGuardCache *c, Datum amount)
{
	switch (c->amount_type)
	{
		case INT2OID:
			return DirectFunctionCall1(int2_numeric, amount);
		case INT4OID:
			return DirectFunctionCall1(int4_numeric, amount);
		case INT8OID:
			return DirectFunctionCall1(int8_numeric, amount);
		default:
			return amount;
	}
}

static void
ca_add_finding(CaGuardCache *c, TupleTableSlot *slot, const char *kind, const Uscc *u,
			   const CaProgram *p, DateADT d, Datum amount, const CaSanction *s, char **key)
{
	CaFinding	f;

	if (*key == NULL)
		*key = ca_source_key(slot, c->nkeys, c->key_atts);
	f.kind = kind;
	if (c->source_table == NULL)
		c->source_table = MemoryContextStrdup(c->cxt, ca_source_table_name(c->guarded_relid));
	f.source_table = c->source_table;
	f.source_key = *key;
	f.uscc = u;
	f.program = p->code;
	f.grant_date = d;
	f.amount = amount;
	f.sanction_id = s ? s->id : 0;
	f.sanction_department = s ? s->department : NULL;
	f.paying_department = p->department;
	(void) ca_finding_add(&f);
}

static void
ca_report_refusal(Relation rel, const Uscc *u, const CaProgram *p, DateADT d,
				  const CaRecord *rec, const CaJudgement *j)
{
	char		ubuf[USCC_LEN + 1];
	StringInfoData detail;

	ca_uscc_to_cstring(u, ubuf);
	initStringInfo(&detail);
	for (int i = 0; i < j->nblocking; i++)
	{
		const CaSanction *s = &rec->sanctions[j->blocking[i]];

		appendStringInfo(&detail, "Sanction %lld: listed by department \"%s\" for \"%s\" (%s) on %s, ",
						 (long long) s->id, s->department, s->category,
						 ca_severity_name(s->severity), ca_date_text(s->listed_on));
		if (DATE_IS_NOEND(s->removed_on))
			appendStringInfoString(&detail, "still listed.\n");
		else
			appendStringInfo(&detail, "removed on %s.\n", ca_date_text(s->removed_on));
	}
	appendStringInfo(&detail, "Credit score on %s: %s; the program requires at least %s.",
					 ca_date_text(d), ca_numeric_text(ca_score_numeric(j->score)),
					 ca_numeric_text(p->min_score));
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("subsidy for enterprise \"%s\" in program \"%s\" on %s refused: enterprise is not eligible",
					ubuf, p->code, ca_date_text(d)),
			 errdetail_internal("%s", detail.data),
			 errhint("An enterprise is eligible for program \"%s\" on a date when no listing of severity \"%s\" or higher is active on it and its credit score is at least %s.",
					 p->code, ca_severity_name(p->blocking_rank), ca_numeric_text(p->min_score)),
			 errtableconstraint(rel, CA_ELIGIBILITY_CONSTRAINT)));
}

Datum
ca_guard_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td;
	Relation	rel;
	TupleTableSlot *slot;
	HeapTuple	result;
	CaGuardCache *c;
	bool		isnull;
	Datum		ud;
	const Uscc *u;
	DateADT		d;
	int			pidx;
	CaProgram  *p;
	Datum		amount;
	Oid			save_userid;
	int			save_sec;
	MemoryContext old;
	CaRecord	rec;
	CaJudgement j;
	char	   *key = NULL;

	/* how were we called? (as ri_triggers.c: trigger manager, row level, timing, event) */
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager", "guard_trigger")));
	td = (TriggerData *) fcinfo->context;
	if (!TRIGGER_FIRED_BEFORE(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired BEFORE ROW", "guard_trigger")));
	rel = td->tg_relation;
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
	{
		slot = td->tg_trigslot;
		result = td->tg_trigtuple;
	}
	else if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		slot = td->tg_newslot;
		result = td->tg_newtuple;
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired for INSERT or UPDATE", "guard_trigger")));

	c = (CaGuardCache *) fcinfo->flinfo->fn_extra;
	if (c == NULL || c->relid != RelationGetRelid(rel) || c->dead)
		c = ca_guard_cache_build(fcinfo->flinfo, rel, td);
	if (c->mode == CA_MODE_OFF)
		return PointerGetDatum(result);

	/* UPDATE: only when a guarded column changes */
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event) &&
		!ca_column_changed(td->tg_trigslot, slot, c->uscc_att) &&
		!ca_column_changed(td->tg_trigslot, slot, c->date_att) &&
		!ca_column_changed(td->tg_trigslot, slot, c->amount_att) &&
		(c->program_att == InvalidAttrNumber ||
		 !ca_column_changed(td->tg_trigslot, slot, c->program_att)))
		return PointerGetDatum(result);

	/* NULLs: nothing to judge; the table's NOT NULL constraints speak */
	ud = slot_getattr(slot, c->uscc_att, &isnull);
	if (isnull)
		return PointerGetDatum(result);
	u = DatumGetUsccP(ud);
	d = DatumGetDateADT(slot_getattr(slot, c->date_att, &isnull));
	if (isnull)
		return PointerGetDatum(result);
	if (c->fixed_program >= 0)
		pidx = c->fixed_program;
	else
	{
		Datum		pd = slot_getattr(slot, c->program_att, &isnull);
		text	   *pt;

		if (isnull)
			return PointerGetDatum(result);
		pt = (text *) pg_detoast_datum_packed((struct varlena *) DatumGetPointer(pd));
		pidx = ca_programs_find(c->programs, VARDATA_ANY(pt), VARSIZE_ANY_EXHDR(pt));
		if (pidx < 0)
			ca_unknown_program(VARDATA_ANY(pt), VARSIZE_ANY_EXHDR(pt));
	}
	p = &c->programs->items[pidx];

	MemoryContextReset(c->rowcxt);
	old = MemoryContextSwitchTo(c->rowcxt);

	/* read and write the extension's tables as its owner */
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(ca_extension_owner(),
						   save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS);

	ca_guard_record(c, u, &rec);
	ca_judge(&rec, p, d, &j);

	if (!j.eligible && c->mode == CA_MODE_BLOCK)
	{
		SetUserIdAndSecContext(save_userid, save_sec);
		ca_report_refusal(rel, u, p, d, &rec, &j);
	}

	/*
	 * Findings the row already reveals, by the audit's rules (DESIGN.md "Findings and audit"):
	 * paid_while_listed for every listing active on d (in block mode only non-blocking ones are
	 * left), retroactive for a violation established by d but listed later; low_score only in
	 * record mode.  A row without an amount gets none: its NOT NULL constraint will speak.
	 */
	amount = slot_getattr(slot, c->amount_att, &isnull);
	if (!isnull)
	{
		amount = ca_amount_numeric(c, amount);
		for (int i = 0; i < rec.nsanctions; i++)
		{
			const CaSanction *s = &rec.sanctions[i];

			if (s->revoked || !(d < s->removed_on))
				continue;
			if (s->listed_on <= d)
				ca_add_finding(c, slot, "paid_while_listed", u, p, d, amount, s, &key);
			else if (s->fact_date <= d)
				ca_add_finding(c, slot, "retroactive", u, p, d, amount, s, &key);
		}
		if (j.low_score && c->mode == CA_MODE_RECORD)
			ca_add_finding(c, slot, "low_score", u, p, d, amount, NULL, &key);
	}

	SetUserIdAndSecContext(save_userid, save_sec);
	MemoryContextSwitchTo(old);
	return PointerGetDatum(result);
}

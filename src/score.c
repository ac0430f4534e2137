/*
 * score.c
 *	  The credit record of one enterprise and the credit score (DESIGN.md "Credit score").
 *
 * score(u, t) = clamp(100 + sum of events + sum of sanctions, 0, 100), computed in double and
 * rounded to 2 decimals only when it becomes a numeric.  One implementation of the formula
 * (ca_event_points, ca_sanction_points) serves every caller: credit_score(), credit_scores(),
 * score_history() and, through the C API in credit_audit.h, the eligibility trigger of guard.c.
 *
 * Reading: the per-enterprise reader (CaRecordReader) probes the two indexes whose leading
 * column is uscc (sanction_natural_key, credit_event_uscc_idx) with direct index scans under a
 * snapshot the caller gives; it runs inside a trigger once per inserted grant, so it keeps its
 * relations open and the rules of score_rule (loaded at the first sanction it meets, so a
 * statement whose enterprises have none never reads them) for the whole query.  credit_scores()
 * merges three full ordered index scans (enterprise_pkey, sanction_natural_key, credit_event_uscc_idx)
 * in one pass, reading the heap in batches of block-sorted TIDs (see CaBatchStream), so its
 * memory does not depend on the number of rows and its heap reads go page after page.
 *
 * Permissions: the SQL functions check that the caller may SELECT the tables they read (they
 * bypass the executor, which would otherwise check); the C API checks nothing (the eligibility
 * trigger reads as the extension owner on behalf of clerks who may only insert grants).
 *
 * Keeping relations open across calls: the reader's relation references belong to the
 * transaction's top resource owner, never to a statement's, so they do not depend on which
 * portal or subtransaction opened them.  They are closed when the caller's memory context goes
 * (a reset callback), by ca_record_reader_close(), or at the latest when the transaction ends
 * (a transaction callback closes what is still open at commit, and at abort merely forgets it,
 * because the resource owner then releases the references itself).  A reader used again in a
 * later transaction reopens them.  Scan descriptors and slots live for one read only, so no
 * buffer pin ever outlives a call.
 */
#include "credit_audit.h"

#include <math.h>

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/visibilitymap.h"
#include "access/xact.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "lib/ilist.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/tuplestore.h"

/* ---------------------------------------------------------------------------------------------
 * Basis
 * ------------------------------------------------------------------------------------------- */

CaBasis
ca_parse_basis(const char *s)
{
	if (strcmp(s, "listing") == 0)
		return CA_BASIS_LISTING;
	if (strcmp(s, "fact") == 0)
		return CA_BASIS_FACT;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid credit score basis \"%s\"", s),
			 errhint("Valid bases are \"listing\" (a sanction counts from the day it was published) "
					 "and \"fact\" (from the day the violation was established).")));
	return CA_BASIS_LISTING;	/* keep compiler quiet */
}

static CaBasis
ca_basis_arg(text *t)
{
	return ca_parse_basis(text_to_cstring(t));
}

/* ---------------------------------------------------------------------------------------------
 * The formula
 * ------------------------------------------------------------------------------------------- */

/* Points an event adds on day t: while event_date <= t < event_date + valid_days (0 = forever). */
static inline double
ca_event_points(DateADT event_date, int32 valid_days, double points, DateADT t)
{
	int64		end;

	if (t < event_date)
		return 0.0;
	if (valid_days <= 0)
		return points;
	/* an infinite event date with a finite validity covers no finite day */
	end = DATE_NOT_FINITE(event_date) ? (int64) event_date : (int64) event_date + valid_days;
	return ((int64) t < end) ? points : 0.0;
}

/*
 * Points a non-revoked sanction adds on day t (zero or negative): nothing before start, -p from
 * start until removal, then -p * max(0, 1 - (t - removed_on) / r); nothing after removal if r = 0.
 * removed_on is DATEVAL_NOEND while still listed.
 */
static inline double
ca_sanction_points(double p, int32 r, DateADT start, DateADT removed_on, DateADT t)
{
	double		f;

	if (p == 0.0 || t < start)
		return 0.0;
	if (removed_on == DATEVAL_NOEND || t < removed_on)
		return -p;
	if (r <= 0)
		return 0.0;
	f = 1.0 - ((double) t - (double) removed_on) / (double) r;
	return (f > 0.0) ? -p * f : 0.0;
}

static inline double
ca_clamp_score(double sum)
{
	if (sum < 0.0)
		return 0.0;
	if (sum > 100.0)
		return 100.0;
	return sum + 0.0;			/* no negative zero */
}

static inline DateADT
ca_sanction_start(const CaSanction *s, CaBasis basis)
{
	return (basis == CA_BASIS_FACT) ? s->fact_date : s->listed_on;
}

double
ca_score_compute(const CaRecord *rec, DateADT as_of, CaBasis basis)
{
	double		sum = 100.0;

	for (int i = 0; i < rec->nevents; i++)
	{
		const CaEvent *e = &rec->events[i];

		sum += ca_event_points(e->event_date, e->valid_days, e->points, as_of);
	}
	for (int i = 0; i < rec->nsanctions; i++)
	{
		const CaSanction *s = &rec->sanctions[i];

		if (s->revoked)
			continue;
		sum += ca_sanction_points(s->points, s->recovery_days, ca_sanction_start(s, basis),
								  s->removed_on, as_of);
	}
	return ca_clamp_score(sum);
}

/*
 * The numeric a user sees: the double rounded half away from zero to 2 decimals, exactly as
 * SQL's round(score::float8::numeric, 2) (the double is first written with 15 significant
 * digits, then rounded in decimal).
 */
static Datum
ca_score_numeric_slow(double score)
{
	Datum		n = DirectFunctionCall1(float8_numeric, Float8GetDatum(score));

	return DirectFunctionCall2(numeric_round, n, Int32GetDatum(2));
}

/*
 * A clamped score has one of 10001 values 0.00 .. 100.00: those numerics are made once per
 * backend.  Rounding score * 100 in binary gives the same cents as rounding the 15-digit decimal
 * unless it lies within 1e-7 of a half cent (the two differ by far less); there the decimal way
 * decides.  Returns a pointer into the cache (callers that hand it out copy it).
 */
#define CA_CENTS_MAX 10000
static Datum *ca_cents_cache = NULL;

static Datum
ca_score_numeric_cached(double score)
{
	double		x = score * 100.0;
	double		f = floor(x);
	int			cents;

	if (!(score >= 0.0 && score <= 100.0) || fabs(x - f - 0.5) < 1e-7)
		return ca_score_numeric_slow(score);
	cents = (int) f + ((x - f > 0.5) ? 1 : 0);
	if (ca_cents_cache == NULL)
		ca_cents_cache = MemoryContextAllocZero(TopMemoryContext,
												(CA_CENTS_MAX + 1) * sizeof(Datum));
	if (ca_cents_cache[cents] == (Datum) 0)
	{
		char		buf[16];
		Datum		n;
		MemoryContext oldcxt;

		snprintf(buf, sizeof(buf), "%d.%02d", cents / 100, cents % 100);
		oldcxt = MemoryContextSwitchTo(TopMemoryContext);
		n = DirectFunctionCall3(numeric_in, CStringGetDatum(buf), ObjectIdGetDatum(InvalidOid),
								Int32GetDatum(-1));
		MemoryContextSwitchTo(oldcxt);
		ca_cents_cache[cents] = n;
	}
	return ca_cents_cache[cents];
}

/* The score as shown (rounded to 2 decimals like ca_score_numeric), as the nearest double. */
double
ca_score_round(double score)
{
	double		x = score * 100.0;
	double		f = floor(x);

	if (!(score >= 0.0 && score <= 100.0) || fabs(x - f - 0.5) < 1e-7)
		return DatumGetFloat8(DirectFunctionCall1(numeric_float8, ca_score_numeric_slow(score)));
	return (f + ((x - f > 0.5) ? 1.0 : 0.0)) / 100.0;
}

Datum
ca_score_numeric(double score)
{
	Datum		n = ca_score_numeric_cached(score);
	struct varlena *v = (struct varlena *) DatumGetPointer(n);
	struct varlena *copy = palloc(VARSIZE(v));

	memcpy(copy, v, VARSIZE(v));
	return PointerGetDatum(copy);
}

/* ---------------------------------------------------------------------------------------------
 * Rules (score_rule)
 * ------------------------------------------------------------------------------------------- */

typedef struct CaRule
{
	char	   *category;		/* not NUL-terminated necessarily: use catlen */
	int			catlen;
	int			severity;
	double		points;
	int32		recovery_days;
} CaRule;

struct CaRules
{
	int			nrules;
	CaRule	   *rules;			/* sorted by (category bytes, severity) */
};

static int
ca_rule_key_cmp(const char *cat, int catlen, int severity, const CaRule *r)
{
	int			c = memcmp(cat, r->category, Min(catlen, r->catlen));

	if (c != 0)
		return c;
	if (catlen != r->catlen)
		return (catlen < r->catlen) ? -1 : 1;
	return (severity > r->severity) - (severity < r->severity);
}

static int
ca_rule_qsort_cmp(const void *a, const void *b)
{
	const CaRule *ra = (const CaRule *) a;

	return ca_rule_key_cmp(ra->category, ra->catlen, ra->severity, (const CaRule *) b);
}

static const CaRule *
ca_rule_find(const CaRules *rules, const char *cat, int catlen, int severity)
{
	int			lo = 0,
				hi = rules->nrules - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = ca_rule_key_cmp(cat, catlen, severity, &rules->rules[mid]);

		if (c == 0)
			return &rules->rules[mid];
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The rule of the category if one exists, else the '*' rule of the severity, else NULL. */
static const CaRule *
ca_rule_lookup(const CaRules *rules, const char *cat, int catlen, int severity)
{
	const CaRule *r = ca_rule_find(rules, cat, catlen, severity);

	if (r == NULL)
		r = ca_rule_find(rules, "*", 1, severity);
	return r;
}

static AttrNumber
ca_attnum(Relation rel, const char *name)
{
	AttrNumber	attnum = get_attnum(RelationGetRelid(rel), name);

	if (attnum == InvalidAttrNumber)
		elog(ERROR, "column \"%s\" of relation \"%s\" is missing",
			 name, RelationGetRelationName(rel));
	return attnum;
}

/* numeric -> double (through numeric_float8: exact to 15 digits, not on any hot path). */
static double
ca_numeric_to_double(Datum n)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, n));
}

CaRules *
ca_rules_load(MemoryContext cxt, Snapshot snapshot)
{
	Relation	rel = table_open(ca_relation_oid(CA_REL_SCORE_RULE), AccessShareLock);
	AttrNumber	a_cat = ca_attnum(rel, "category"),
				a_sev = ca_attnum(rel, "severity"),
				a_pts = ca_attnum(rel, "points"),
				a_rec = ca_attnum(rel, "recovery_days");
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);
	CaRules    *rules = MemoryContextAllocZero(cxt, sizeof(CaRules));
	int			cap = 8;

	rules->rules = MemoryContextAlloc(cxt, cap * sizeof(CaRule));
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		text	   *cat;
		CaRule	   *r;

		if (rules->nrules == cap)
		{
			cap *= 2;
			rules->rules = repalloc(rules->rules, cap * sizeof(CaRule));
		}
		r = &rules->rules[rules->nrules++];
		cat = DatumGetTextPP(slot_getattr(slot, a_cat, &isnull));
		r->catlen = VARSIZE_ANY_EXHDR(cat);
		r->category = MemoryContextAlloc(cxt, r->catlen + 1);
		memcpy(r->category, VARDATA_ANY(cat), r->catlen);
		r->category[r->catlen] = '\0';
		r->severity = ca_severity_rank(DatumGetObjectId(slot_getattr(slot, a_sev, &isnull)));
		r->points = ca_numeric_to_double(slot_getattr(slot, a_pts, &isnull));
		r->recovery_days = DatumGetInt32(slot_getattr(slot, a_rec, &isnull));
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, AccessShareLock);

	qsort(rules->rules, rules->nrules, sizeof(CaRule), ca_rule_qsort_cmp);
	return rules;
}

void
ca_rules_resolve(const CaRules *rules, CaSanction *s)
{
	const CaRule *r = ca_rule_lookup(rules, s->category, strlen(s->category), s->severity);

	s->points = r ? r->points : 0.0;
	s->recovery_days = r ? r->recovery_days : 0;
}

/* ---------------------------------------------------------------------------------------------
 * Small exact cache numeric -> double for event points (few distinct values, many rows)
 * ------------------------------------------------------------------------------------------- */

#define CA_NUMCACHE_SIZE 64
#define CA_NUMCACHE_MAXLEN 32

typedef struct CaNumCache
{
	struct
	{
		int			len;		/* 0 = empty */
		char		bytes[CA_NUMCACHE_MAXLEN];
		double		value;
	}			slot[CA_NUMCACHE_SIZE];
} CaNumCache;

static double
ca_numcache_get(CaNumCache *cache, Datum d)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);
	const char *p;
	int			len;
	uint32		h = 2166136261u;
	int			i;

	if (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v))
		return ca_numeric_to_double(d);	/* toasted or compressed: not worth caching */
	p = VARDATA_ANY(v);
	len = VARSIZE_ANY_EXHDR(v);
	if (len > CA_NUMCACHE_MAXLEN || cache == NULL)
		return ca_numeric_to_double(d);
	for (i = 0; i < len; i++)
		h = (h ^ (uint8) p[i]) * 16777619u;
	i = h % CA_NUMCACHE_SIZE;
	if (cache->slot[i].len != len + 1 || memcmp(cache->slot[i].bytes, p, len) != 0)
	{
		cache->slot[i].value = ca_numeric_to_double(d);
		memcpy(cache->slot[i].bytes, p, len);
		cache->slot[i].len = len + 1;
	}
	return cache->slot[i].value;
}

/* ---------------------------------------------------------------------------------------------
 * Column positions and the uscc equality of an index
 * ------------------------------------------------------------------------------------------- */

typedef struct CaSanctionCols
{
	AttrNumber	uscc,
				id,
				department,
				category,
				severity,
				fact_date,
				listed_on,
				removed_on,
				removal_reason;
} CaSanctionCols;

typedef struct CaEventCols
{
	AttrNumber	uscc,
				event_date,
				points,
				valid_days;
} CaEventCols;

static void
ca_sanction_cols(Relation rel, CaSanctionCols *c)
{
	c->uscc = ca_attnum(rel, "uscc");
	c->id = ca_attnum(rel, "id");
	c->department = ca_attnum(rel, "department");
	c->category = ca_attnum(rel, "category");
	c->severity = ca_attnum(rel, "severity");
	c->fact_date = ca_attnum(rel, "fact_date");
	c->listed_on = ca_attnum(rel, "listed_on");
	c->removed_on = ca_attnum(rel, "removed_on");
	c->removal_reason = ca_attnum(rel, "removal_reason");
}

static void
ca_event_cols(Relation rel, CaEventCols *c)
{
	c->uscc = ca_attnum(rel, "uscc");
	c->event_date = ca_attnum(rel, "event_date");
	c->points = ca_attnum(rel, "points");
	c->valid_days = ca_attnum(rel, "valid_days");
}

/* The equality function of the index's first column (uscc), for scan keys. */
static void
ca_index_uscc_eq(Relation idx, MemoryContext cxt, FmgrInfo *finfo, Oid *collation)
{
	Oid			opfamily = idx->rd_opfamily[0];
	Oid			opcintype = idx->rd_opcintype[0];
	Oid			op = get_opfamily_member(opfamily, opcintype, opcintype, BTEqualStrategyNumber);

	if (!OidIsValid(op))
		elog(ERROR, "missing equality operator for the first column of index \"%s\"",
			 RelationGetRelationName(idx));
	fmgr_info_cxt(get_opcode(op), finfo, cxt);
	*collation = idx->rd_indcollation[0];
}

static inline bool
ca_text_equals(Datum d, const char *s, int len)
{
	text	   *t = DatumGetTextPP(d);

	return (int) VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), s, len) == 0;
}

/* Fill one CaSanction from a sanction tuple (strings palloc'd in the current context). */
static void
ca_sanction_from_slot(TupleTableSlot *slot, const CaSanctionCols *c, const CaRules *rules,
					  CaSanction *s)
{
	bool		isnull;
	Datum		d;

	s->id = DatumGetInt64(slot_getattr(slot, c->id, &isnull));
	s->department = TextDatumGetCString(slot_getattr(slot, c->department, &isnull));
	s->category = TextDatumGetCString(slot_getattr(slot, c->category, &isnull));
	s->severity = ca_severity_rank(DatumGetObjectId(slot_getattr(slot, c->severity, &isnull)));
	s->fact_date = DatumGetDateADT(slot_getattr(slot, c->fact_date, &isnull));
	s->listed_on = DatumGetDateADT(slot_getattr(slot, c->listed_on, &isnull));
	d = slot_getattr(slot, c->removed_on, &isnull);
	s->removed_on = isnull ? DATEVAL_NOEND : DatumGetDateADT(d);
	d = slot_getattr(slot, c->removal_reason, &isnull);
	s->revoked = !isnull && ca_text_equals(d, "revoked", 7);
	ca_rules_resolve(rules, s);
}

/* ---------------------------------------------------------------------------------------------
 * The per-enterprise reader
 * ------------------------------------------------------------------------------------------- */

struct CaRecordReader
{
	MemoryContext cxt;			/* where the reader lives; its reset closes the reader */
	MemoryContext rules_cxt;	/* child of cxt: the loaded rules */
	MemoryContextCallback reset_cb;
	dlist_node	node;			/* in ca_open_readers while is_open */
	bool		is_open;
	Relation	sanction_rel;
	Relation	sanction_idx;
	Relation	event_rel;
	Relation	event_idx;
	FmgrInfo	sanction_eq;
	FmgrInfo	event_eq;
	Oid			sanction_coll;
	Oid			event_coll;
	CaSanctionCols scols;
	CaEventCols ecols;
	CaRules    *rules;			/* NULL until the first sanction read (per transaction) */
	CaRulesProvider rules_fn;	/* NULL: load the rules itself (ca_rules_load) */
	void	   *rules_arg;
	CaNumCache	numcache;
};

static dlist_head ca_open_readers = DLIST_STATIC_INIT(ca_open_readers);
static bool ca_xact_callback_registered = false;

static void
ca_reader_close_rels(CaRecordReader *reader)
{
	ResourceOwner save = CurrentResourceOwner;

	if (!reader->is_open)
		return;
	dlist_delete(&reader->node);
	reader->is_open = false;
	reader->rules = NULL;
	/* rules_cxt is not touched: on a delete of cxt it is already gone (children go first) */
	/* the references belong to the top transaction resource owner (see ca_reader_open_rels) */
	CurrentResourceOwner = TopTransactionResourceOwner;
	index_close(reader->event_idx, NoLock);
	table_close(reader->event_rel, NoLock);
	index_close(reader->sanction_idx, NoLock);
	table_close(reader->sanction_rel, NoLock);
	CurrentResourceOwner = save;
}

/*
 * Transaction end: whatever is still open is closed at commit (before the resource owner would
 * report the references as leaked) and forgotten at abort (the resource owner releases them).
 */
static void
ca_reader_xact_callback(XactEvent event, void *arg)
{
	dlist_mutable_iter iter;

	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			dlist_foreach_modify(iter, &ca_open_readers)
				ca_reader_close_rels(dlist_container(CaRecordReader, node, iter.cur));
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			dlist_foreach_modify(iter, &ca_open_readers)
			{
				CaRecordReader *reader = dlist_container(CaRecordReader, node, iter.cur);

				dlist_delete(&reader->node);
				reader->is_open = false;
				reader->rules = NULL;
			}
			break;
		default:
			break;
	}
}

static void
ca_reader_reset_callback(void *arg)
{
	ca_reader_close_rels((CaRecordReader *) arg);
}

/*
 * Column numbers and uscc equality functions of the reader's four relations, computed once per
 * backend and kept while none of them gets a relcache invalidation, so a reader reopened for
 * every statement (the guard trigger's) or transaction skips the catalog lookups.
 */
static struct
{
	bool		valid;
	Oid			oids[4];
	CaSanctionCols scols;
	CaEventCols ecols;
	FmgrInfo	sanction_eq;	/* fn_mcxt CacheMemoryContext; copied into each reader */
	FmgrInfo	event_eq;
	Oid			sanction_coll;
	Oid			event_coll;
}			ca_reader_meta;
static uint64 ca_reader_meta_seq = 0;	/* invalidations of those relations processed */
static bool ca_reader_meta_callback_registered = false;

static void
ca_reader_meta_inval(Datum arg, Oid relid)
{
	for (int i = 0; i < 4; i++)
		if (!OidIsValid(relid) || ca_reader_meta.oids[i] == relid)
		{
			ca_reader_meta.valid = false;
			ca_reader_meta_seq++;
			return;
		}
}

static void
ca_reader_meta_get(CaRecordReader *reader)
{
	Oid			oids[4] = {RelationGetRelid(reader->sanction_rel),
		RelationGetRelid(reader->sanction_idx), RelationGetRelid(reader->event_rel),
	RelationGetRelid(reader->event_idx)};

	if (!ca_reader_meta_callback_registered)
	{
		CacheRegisterRelcacheCallback(ca_reader_meta_inval, (Datum) 0);
		ca_reader_meta_callback_registered = true;
	}
	if (!ca_reader_meta.valid || memcmp(oids, ca_reader_meta.oids, sizeof(oids)) != 0)
	{
		uint64		seq = ca_reader_meta_seq;

		ca_reader_meta.valid = false;
		memcpy(ca_reader_meta.oids, oids, sizeof(oids));
		ca_sanction_cols(reader->sanction_rel, &ca_reader_meta.scols);
		ca_event_cols(reader->event_rel, &ca_reader_meta.ecols);
		ca_index_uscc_eq(reader->sanction_idx, CacheMemoryContext, &ca_reader_meta.sanction_eq,
						 &ca_reader_meta.sanction_coll);
		ca_index_uscc_eq(reader->event_idx, CacheMemoryContext, &ca_reader_meta.event_eq,
						 &ca_reader_meta.event_coll);
		/* an invalidation processed meanwhile: good for this reader, not for the next one */
		ca_reader_meta.valid = (seq == ca_reader_meta_seq);
	}
	reader->scols = ca_reader_meta.scols;
	reader->ecols = ca_reader_meta.ecols;
	fmgr_info_copy(&reader->sanction_eq, &ca_reader_meta.sanction_eq, reader->cxt);
	fmgr_info_copy(&reader->event_eq, &ca_reader_meta.event_eq, reader->cxt);
	reader->sanction_coll = ca_reader_meta.sanction_coll;
	reader->event_coll = ca_reader_meta.event_coll;
}

static void
ca_reader_open_rels(CaRecordReader *reader)
{
	ResourceOwner save = CurrentResourceOwner;
	Oid			sanction_oid = ca_relation_oid(CA_REL_SANCTION);
	Oid			sanction_idx_oid = ca_relation_oid(CA_REL_SANCTION_USCC_IDX);
	Oid			event_oid = ca_relation_oid(CA_REL_CREDIT_EVENT);
	Oid			event_idx_oid = ca_relation_oid(CA_REL_CREDIT_EVENT_USCC_IDX);

	Assert(!reader->is_open);
	if (!ca_xact_callback_registered)
	{
		RegisterXactCallback(ca_reader_xact_callback, NULL);
		ca_xact_callback_registered = true;
	}
	MemoryContextReset(reader->rules_cxt);
	reader->rules = NULL;

	/*
	 * Owned by the top transaction resource owner: the reader may be opened inside one statement's
	 * portal or a subtransaction and used by later ones of the same query.
	 */
	CurrentResourceOwner = TopTransactionResourceOwner;
	PG_TRY();
	{
		reader->sanction_rel = table_open(sanction_oid, AccessShareLock);
		reader->sanction_idx = index_open(sanction_idx_oid, AccessShareLock);
		reader->event_rel = table_open(event_oid, AccessShareLock);
		reader->event_idx = index_open(event_idx_oid, AccessShareLock);
	}
	PG_CATCH();
	{
		CurrentResourceOwner = save;
		PG_RE_THROW();
	}
	PG_END_TRY();
	CurrentResourceOwner = save;
	dlist_push_head(&ca_open_readers, &reader->node);
	reader->is_open = true;

	ca_reader_meta_get(reader);
}

CaRecordReader *
ca_record_reader_open(MemoryContext cxt)
{
	CaRecordReader *reader = MemoryContextAllocZero(cxt, sizeof(CaRecordReader));

	reader->cxt = cxt;
	reader->rules_cxt = AllocSetContextCreate(cxt, "credit_audit score rules",
											  ALLOCSET_SMALL_SIZES);
	reader->reset_cb.func = ca_reader_reset_callback;
	reader->reset_cb.arg = reader;
	MemoryContextRegisterResetCallback(cxt, &reader->reset_cb);
	ca_reader_open_rels(reader);
	return reader;
}

void
ca_record_reader_set_rules_provider(CaRecordReader *reader, CaRulesProvider fn, void *arg)
{
	reader->rules_fn = fn;
	reader->rules_arg = arg;
	reader->rules = NULL;
}

void
ca_record_reader_close(CaRecordReader *reader)
{
	ca_reader_close_rels(reader);
}

void
ca_record_read(CaRecordReader *reader, const Uscc *u, Snapshot snapshot, CaRecord *out)
{
	ScanKeyData key;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	int			cap;

	if (!reader->is_open)
		ca_reader_open_rels(reader);	/* used again in a later transaction */
	memset(out, 0, sizeof(CaRecord));

	/* sanctions */
	cap = 4;
	out->sanctions = palloc(cap * sizeof(CaSanction));
	ScanKeyEntryInitializeWithInfo(&key, 0, 1, BTEqualStrategyNumber, InvalidOid,
								   reader->sanction_coll, &reader->sanction_eq,
								   UsccPGetDatum(u));
	slot = table_slot_create(reader->sanction_rel, NULL);
	scan = index_beginscan(reader->sanction_rel, reader->sanction_idx, snapshot, 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		if (out->nsanctions == cap)
		{
			cap *= 2;
			out->sanctions = repalloc(out->sanctions, cap * sizeof(CaSanction));
		}
		/*
		 * The rules are needed only to price a sanction: loaded at the first sanction the
		 * reader meets (most enterprises have none), with the snapshot of that read.
		 */
		if (reader->rules == NULL)
			reader->rules = reader->rules_fn ? reader->rules_fn(reader->rules_arg, snapshot) :
				ca_rules_load(reader->rules_cxt, snapshot);
		ca_sanction_from_slot(slot, &reader->scols, reader->rules,
							  &out->sanctions[out->nsanctions++]);
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);

	/* events */
	cap = 4;
	out->events = palloc(cap * sizeof(CaEvent));
	ScanKeyEntryInitializeWithInfo(&key, 0, 1, BTEqualStrategyNumber, InvalidOid,
								   reader->event_coll, &reader->event_eq, UsccPGetDatum(u));
	slot = table_slot_create(reader->event_rel, NULL);
	scan = index_beginscan(reader->event_rel, reader->event_idx, snapshot, 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		CaEvent    *e;
		bool		isnull;
		Datum		d;

		if (out->nevents == cap)
		{
			cap *= 2;
			out->events = repalloc(out->events, cap * sizeof(CaEvent));
		}
		e = &out->events[out->nevents++];
		e->event_date = DatumGetDateADT(slot_getattr(slot, reader->ecols.event_date, &isnull));
		e->points = ca_numcache_get(&reader->numcache,
									slot_getattr(slot, reader->ecols.points, &isnull));
		d = slot_getattr(slot, reader->ecols.valid_days, &isnull);
		e->valid_days = isnull ? 0 : DatumGetInt32(d);
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
}

/* ---------------------------------------------------------------------------------------------
 * SQL functions
 * ------------------------------------------------------------------------------------------- */

/*
 * The SQL functions read through indexes, beneath the executor's permission checks, so they
 * check that the caller may read what a plain query of the same data would read.  (The
 * eligibility trigger uses the C API and reads as the extension owner.)
 */
static void
ca_check_select(CaRelId rel)
{
	Oid			relid = ca_relation_oid(rel);
	AclResult	acl = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);

	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_TABLE, get_rel_name(relid));
}

static void
ca_check_record_access(void)
{
	ca_check_select(CA_REL_SANCTION);
	ca_check_select(CA_REL_CREDIT_EVENT);
	ca_check_select(CA_REL_SCORE_RULE);
}

/* The reader of a call site, kept in fn_extra for the query. */
static CaRecordReader *
ca_call_reader(FunctionCallInfo fcinfo)
{
	FmgrInfo   *flinfo = fcinfo->flinfo;

	if (flinfo->fn_extra == NULL)
	{
		ca_check_record_access();
		flinfo->fn_extra = ca_record_reader_open(flinfo->fn_mcxt);
	}
	return (CaRecordReader *) flinfo->fn_extra;
}

PG_FUNCTION_INFO_V1(ca_credit_score);

/* credit_score(u uscc, as_of date, basis text) -> numeric */
Datum
ca_credit_score(PG_FUNCTION_ARGS)
{
	Uscc	   *u = PG_GETARG_USCC_P(0);
	DateADT		as_of = PG_GETARG_DATEADT(1);
	CaBasis		basis = ca_basis_arg(PG_GETARG_TEXT_PP(2));
	CaRecordReader *reader = ca_call_reader(fcinfo);
	CaRecord	rec;

	ca_record_read(reader, u, GetActiveSnapshot(), &rec);
	PG_RETURN_DATUM(ca_score_numeric(ca_score_compute(&rec, as_of, basis)));
}

/* Set up materialize mode: a tuplestore in per-query memory, spilling past work_mem. */
static Tuplestorestate *
ca_materialize_setup(FunctionCallInfo fcinfo, TupleDesc *tupdesc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext oldcxt;
	Tuplestorestate *store;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("materialize mode required, but it is not allowed in this context")));
	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (get_call_result_type(fcinfo, NULL, tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	*tupdesc = CreateTupleDescCopy(*tupdesc);
	store = tuplestore_begin_heap(rsinfo->allowedModes & SFRM_Materialize_Random, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	rsinfo->setDesc = *tupdesc;
	MemoryContextSwitchTo(oldcxt);
	return store;
}

/*
 * credit_scores() reads each of its three relations as a stream in uscc order, in batches:
 * a batch takes the next TIDs of the index (index order = uscc order), fetches their heap rows
 * in block order (a counting sort by block), reduces each row to its uscc and its contribution
 * to the score, and then hands the rows out in index order.  The heap rows of a table loaded in
 * any order are so read page after page instead of one random page per row; a batch holds at
 * most CA_BATCH_ITEMS() rows, whatever the size of the tables.
 */
typedef struct CaBatchItem
{
	double		value;			/* its contribution to the score */
	Uscc		uscc;
	bool		valid;			/* a row visible to the snapshot */
} CaBatchItem;

/* A TID of the batch and its position in index order, sorted by block for the heap reads. */
typedef struct CaBatchRef
{
	ItemPointerData tid;
	uint32		pos;
} CaBatchRef;

typedef enum CaStreamKind
{
	CA_STREAM_ENTERPRISE,
	CA_STREAM_SANCTION,
	CA_STREAM_EVENT
} CaStreamKind;

/* What a row contributes on the day: the formula's inputs, shared by the three streams. */
typedef struct CaScoresParams
{
	DateADT		as_of;
	CaBasis		basis;
	CaRules    *rules;
	CaNumCache *numcache;
	CaSanctionCols sc;
	CaEventCols ec;
} CaScoresParams;

typedef struct CaBatchStream
{
	CaStreamKind kind;
	const CaScoresParams *params;
	MemoryContext cxt;			/* long-lived: the scans */
	MemoryContext rowcxt;		/* reset per batch: detoasting and conversions */
	Relation	rel;
	Relation	idx;
	IndexScanDesc iscan;
	TupleTableSlot *slot;		/* a heap tuple slot over a tuple in a pinned page */
	Snapshot	snapshot;
	AttrNumber	uscc_att;
	BlockNumber nblocks;		/* of the heap when the scan began */
	int			cap;			/* rows the arrays hold now */
	int			maxcap;			/* rows a batch may hold */
	CaBatchItem *items;			/* results, in index order */
	ItemPointerData *tids;		/* TIDs, in index order */
	CaBatchRef *refs;			/* TIDs and positions, sorted by heap block */
	uint32	   *counts;			/* counting sort buckets, cap + 1 */
	bool		all_visible_ok; /* may trust PD_ALL_VISIBLE (see ca_stream_fill) */
	bool		index_only;		/* enterprise: uscc from the index where the VM allows */
	Buffer		vmbuffer;		/* visibility map page pinned for index_only */
	int			n;
	int			pos;
	bool		index_done;
} CaBatchStream;

/* Rows per batch and stream: work_mem shared by the three streams, at least 16k rows. */
#define CA_BATCH_ROW_BYTES (sizeof(CaBatchItem) + sizeof(ItemPointerData) + sizeof(CaBatchRef) + sizeof(uint32))
#define CA_BATCH_ITEMS() \
	((int) Max(16384, Min((Size) work_mem * 1024 / (3 * CA_BATCH_ROW_BYTES), (Size) 1 << 24)))

static void
ca_stream_begin(CaBatchStream *st, CaStreamKind kind, CaRelId rel, CaRelId idx,
				Snapshot snapshot, const CaScoresParams *params)
{
	memset(st, 0, sizeof(CaBatchStream));
	st->kind = kind;
	st->params = params;
	st->cxt = CurrentMemoryContext;
	st->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "credit_scores batch",
									   ALLOCSET_DEFAULT_SIZES);
	st->rel = table_open(ca_relation_oid(rel), AccessShareLock);
	st->idx = index_open(ca_relation_oid(idx), AccessShareLock);
	st->uscc_att = ca_attnum(st->rel, "uscc");
	if (st->rel->rd_rel->relam != HEAP_TABLE_AM_OID)
		elog(ERROR, "relation \"%s\" is not a heap table", RelationGetRelationName(st->rel));
	if (st->idx->rd_index->indkey.values[0] != st->uscc_att)
		elog(ERROR, "index \"%s\" does not lead with uscc", RelationGetRelationName(st->idx));
	st->snapshot = snapshot;
	st->nblocks = RelationGetNumberOfBlocks(st->rel);
	st->slot = MakeSingleTupleTableSlot(RelationGetDescr(st->rel), &TTSOpsHeapTuple);
	st->iscan = index_beginscan(st->rel, st->idx, snapshot, 0, 0);
	/* as heapgetpage(): not under recovery; and not serializable, which wants per-tuple checks */
	st->all_visible_ok = !snapshot->takenDuringRecovery && !IsolationIsSerializable();
	/* the enterprise stream needs only the uscc: an index-only scan, as nodeIndexonlyscan.c */
	st->index_only = (kind == CA_STREAM_ENTERPRISE && st->all_visible_ok &&
					  st->idx->rd_index->indnatts >= 1);
	st->vmbuffer = InvalidBuffer;
	st->iscan->xs_want_itup = st->index_only;
	index_rescan(st->iscan, NULL, 0, NULL, 0);
	st->maxcap = CA_BATCH_ITEMS();
	st->cap = Min(st->maxcap, 4096);	/* grows (doubling) up to maxcap as rows come */
	st->items = palloc(st->cap * sizeof(CaBatchItem));
	st->tids = palloc(st->cap * sizeof(ItemPointerData));
	st->refs = palloc(st->cap * sizeof(CaBatchRef));
	st->counts = palloc((st->cap + 1) * sizeof(uint32));
}

static void
ca_stream_end(CaBatchStream *st)
{
	if (BufferIsValid(st->vmbuffer))
		ReleaseBuffer(st->vmbuffer);
	index_endscan(st->iscan);
	ExecDropSingleTupleTableSlot(st->slot);
	index_close(st->idx, AccessShareLock);
	table_close(st->rel, AccessShareLock);
}

/* The contribution of the row in the slot (0 for an enterprise). */
static double
ca_stream_value(CaBatchStream *st)
{
	const CaScoresParams *p = st->params;
	TupleTableSlot *slot = st->slot;
	bool		isnull;
	Datum		d;

	switch (st->kind)
	{
		case CA_STREAM_SANCTION:
			{
				text	   *cat;
				const CaRule *rule;
				DateADT		start,
							removed_on;

				d = slot_getattr(slot, p->sc.removal_reason, &isnull);
				if (!isnull && ca_text_equals(d, "revoked", 7))
					return 0.0;
				start = DatumGetDateADT(slot_getattr(slot, p->basis == CA_BASIS_FACT ?
													 p->sc.fact_date : p->sc.listed_on, &isnull));
				if (p->as_of < start)
					return 0.0;
				cat = DatumGetTextPP(slot_getattr(slot, p->sc.category, &isnull));
				d = slot_getattr(slot, p->sc.severity, &isnull);
				rule = ca_rule_lookup(p->rules, VARDATA_ANY(cat), VARSIZE_ANY_EXHDR(cat),
									  ca_severity_rank(DatumGetObjectId(d)));
				if (rule == NULL)
					return 0.0;
				d = slot_getattr(slot, p->sc.removed_on, &isnull);
				removed_on = isnull ? DATEVAL_NOEND : DatumGetDateADT(d);
				return ca_sanction_points(rule->points, rule->recovery_days, start, removed_on,
										  p->as_of);
			}
		case CA_STREAM_EVENT:
			{
				DateADT		event_date;
				int32		valid_days;

				event_date = DatumGetDateADT(slot_getattr(slot, p->ec.event_date, &isnull));
				if (p->as_of < event_date)
					return 0.0;
				d = slot_getattr(slot, p->ec.valid_days, &isnull);
				valid_days = isnull ? 0 : DatumGetInt32(d);
				d = slot_getattr(slot, p->ec.points, &isnull);
				return ca_event_points(event_date, valid_days, ca_numcache_get(p->numcache, d),
									   p->as_of);
			}
		case CA_STREAM_ENTERPRISE:
			break;
	}
	return 0.0;
}

/* Read the next batch: TIDs in index order, heap rows in block order. */
static void
ca_stream_fill(CaBatchStream *st)
{
	MemoryContext oldcxt;
	uint32		nbuckets;
	int			nref;
	int			i;

	st->n = 0;
	st->pos = 0;
	oldcxt = MemoryContextSwitchTo(st->cxt);
	while (st->n < st->maxcap && !st->index_done)
	{
		ItemPointer tid;

		if (st->n == st->cap)
		{
			st->cap = Min(st->maxcap, st->cap * 2);
			st->tids = repalloc(st->tids, st->cap * sizeof(ItemPointerData));
			st->items = repalloc(st->items, st->cap * sizeof(CaBatchItem));
			pfree(st->refs);
			pfree(st->counts);
			st->refs = palloc(st->cap * sizeof(CaBatchRef));
			st->counts = palloc((st->cap + 1) * sizeof(uint32));
		}
		tid = index_getnext_tid(st->iscan, ForwardScanDirection);

		if (tid == NULL)
			st->index_done = true;
		else if (st->index_only &&
				 VM_ALL_VISIBLE(st->rel, ItemPointerGetBlockNumber(tid), &st->vmbuffer))
		{
			/* the heap page is all-visible: the index tuple says all we need */
			bool		isnull;
			Datum		d = index_getattr(st->iscan->xs_itup, 1, st->iscan->xs_itupdesc, &isnull);

			ItemPointerSetInvalid(&st->tids[st->n]);
			st->items[st->n].valid = true;
			st->items[st->n].uscc = *DatumGetUsccP(d);
			st->items[st->n].value = 0.0;
			st->n++;
		}
		else
			st->tids[st->n++] = *tid;
	}
	MemoryContextSwitchTo(oldcxt);
	if (st->n == 0)
		return;

	/*
	 * Counting sort of the positions that need the heap (not those the index answered) by
	 * block; rows in blocks added since the scan began go to the last bucket.
	 */
	nbuckets = Max(1, Min((uint32) st->n, st->nblocks));
	memset(st->counts, 0, (nbuckets + 1) * sizeof(uint32));
	nref = 0;
	for (i = 0; i < st->n; i++)
	{
		BlockNumber blk = ItemPointerGetBlockNumberNoCheck(&st->tids[i]);
		uint32		b;

		if (!ItemPointerIsValid(&st->tids[i]))
			continue;
		b = (blk >= st->nblocks) ? nbuckets - 1 : (uint32) ((uint64) blk * nbuckets / st->nblocks);
		st->counts[b + 1]++;
		nref++;
	}
	for (i = 1; i <= (int) nbuckets; i++)
		st->counts[i] += st->counts[i - 1];
	for (i = 0; i < st->n; i++)
	{
		BlockNumber blk = ItemPointerGetBlockNumberNoCheck(&st->tids[i]);
		uint32		b;
		CaBatchRef *ref;

		if (!ItemPointerIsValid(&st->tids[i]))
			continue;
		b = (blk >= st->nblocks) ? nbuckets - 1 : (uint32) ((uint64) blk * nbuckets / st->nblocks);
		ref = &st->refs[st->counts[b]++];
		ref->tid = st->tids[i];
		ref->pos = i;
	}

	/*
	 * Page at a time, as a bitmap heap scan does: under one share lock, find the visible member
	 * of each TID's HOT chain; then, holding only the pin (which keeps the tuples in place),
	 * reduce each visible row to its uscc and contribution.
	 */
	MemoryContextReset(st->rowcxt);
	oldcxt = MemoryContextSwitchTo(st->rowcxt);
	for (i = 0; i < nref;)
	{
		BlockNumber blk = ItemPointerGetBlockNumber(&st->refs[i].tid);
		Buffer		buf;
		Page		page;
		bool		all_visible;
		int			j,
					k;

		for (j = i + 1; j < nref; j++)
			if (ItemPointerGetBlockNumber(&st->refs[j].tid) != blk)
				break;

		buf = ReadBuffer(st->rel, blk);
		heap_page_prune_opt(st->rel, buf);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		all_visible = st->all_visible_ok && PageIsAllVisible(page);
		for (k = i; k < j; k++)
		{
			CaBatchRef *ref = &st->refs[k];
			bool		valid;

			if (all_visible)
			{
				/*
				 * Every tuple on the page is visible to everyone: the row is the tuple the TID
				 * names, or the one its redirect names (a HOT chain on such a page has no
				 * other member left).
				 */
				OffsetNumber off = ItemPointerGetOffsetNumber(&ref->tid);
				ItemId		lp;

				valid = false;
				if (off >= FirstOffsetNumber && off <= PageGetMaxOffsetNumber(page))
				{
					lp = PageGetItemId(page, off);
					if (ItemIdIsRedirected(lp))
					{
						off = ItemIdGetRedirect(lp);
						lp = PageGetItemId(page, off);
					}
					valid = ItemIdIsNormal(lp);
					ItemPointerSetOffsetNumber(&ref->tid, off);
				}
			}
			else
			{
				HeapTupleData tuple;
				bool		all_dead;

				valid = heap_hot_search_buffer(&ref->tid, st->rel, buf, st->snapshot, &tuple,
											   &all_dead, true);
			}
			st->items[ref->pos].valid = valid;
		}
		LockBuffer(buf, BUFFER_LOCK_UNLOCK);

		for (k = i; k < j; k++)
		{
			CaBatchRef *ref = &st->refs[k];
			CaBatchItem *item = &st->items[ref->pos];
			ItemId		lp;
			HeapTupleData tuple;
			bool		isnull;

			if (!item->valid)
				continue;
			/* ref->tid is now the visible tuple's own TID, on the same page */
			lp = PageGetItemId(page, ItemPointerGetOffsetNumber(&ref->tid));
			tuple.t_data = (HeapTupleHeader) PageGetItem(page, lp);
			tuple.t_len = ItemIdGetLength(lp);
			tuple.t_tableOid = RelationGetRelid(st->rel);
			tuple.t_self = ref->tid;
			ExecStoreHeapTuple(&tuple, st->slot, false);
			item->uscc = *DatumGetUsccP(slot_getattr(st->slot, st->uscc_att, &isnull));
			item->value = ca_stream_value(st);
			ExecClearTuple(st->slot);
		}
		ReleaseBuffer(buf);
		i = j;
		CHECK_FOR_INTERRUPTS();
	}
	MemoryContextSwitchTo(oldcxt);
}

/* The next visible row of the stream without consuming it, or NULL at the end. */
static inline const CaBatchItem *
ca_stream_peek(CaBatchStream *st)
{
	for (;;)
	{
		if (st->pos >= st->n)
		{
			if (st->index_done)
				return NULL;
			ca_stream_fill(st);
			continue;
		}
		if (st->items[st->pos].valid)
			return &st->items[st->pos];
		st->pos++;
	}
}

/* Sum of the contributions of the stream's rows of u (skipping rows of smaller uscc). */
static inline double
ca_stream_sum(CaBatchStream *st, const Uscc *u)
{
	const CaBatchItem *item;
	double		sum = 0.0;

	while ((item = ca_stream_peek(st)) != NULL)
	{
		int			c = ca_uscc_cmp(&item->uscc, u);

		if (c > 0)
			break;
		if (c == 0)
			sum += item->value;
		st->pos++;
	}
	return sum;
}

PG_FUNCTION_INFO_V1(ca_credit_scores);

/*
 * credit_scores(as_of date, basis text) -> TABLE(uscc uscc, score numeric)
 *
 * One merge of three streams in uscc order (enterprise_pkey, sanction_natural_key,
 * credit_event_uscc_idx): each enterprise's sanctions and events follow it directly, so they are
 * summed as they go by and nothing is kept per enterprise; the output goes to a tuplestore that
 * spills to disk past work_mem.
 */
Datum
ca_credit_scores(PG_FUNCTION_ARGS)
{
	CaScoresParams params;
	Snapshot	snapshot = GetActiveSnapshot();
	TupleDesc	tupdesc;
	Tuplestorestate *store;
	CaBatchStream ent,
				san,
				evt;
	const CaBatchItem *e;

	params.as_of = PG_GETARG_DATEADT(0);
	params.basis = ca_basis_arg(PG_GETARG_TEXT_PP(1));
	ca_check_select(CA_REL_ENTERPRISE);
	ca_check_record_access();
	store = ca_materialize_setup(fcinfo, &tupdesc);

	params.rules = ca_rules_load(CurrentMemoryContext, snapshot);
	params.numcache = palloc0(sizeof(CaNumCache));
	ca_stream_begin(&ent, CA_STREAM_ENTERPRISE, CA_REL_ENTERPRISE, CA_REL_ENTERPRISE_PKEY,
					snapshot, &params);
	ca_stream_begin(&san, CA_STREAM_SANCTION, CA_REL_SANCTION, CA_REL_SANCTION_USCC_IDX,
					snapshot, &params);
	ca_stream_begin(&evt, CA_STREAM_EVENT, CA_REL_CREDIT_EVENT, CA_REL_CREDIT_EVENT_USCC_IDX,
					snapshot, &params);
	ca_sanction_cols(san.rel, &params.sc);
	ca_event_cols(evt.rel, &params.ec);

	while ((e = ca_stream_peek(&ent)) != NULL)
	{
		Uscc		u = e->uscc;
		double		sum = 100.0;
		Datum		values[2];
		bool		nulls[2] = {false, false};

		ent.pos++;
		sum += ca_stream_sum(&san, &u);
		sum += ca_stream_sum(&evt, &u);
		values[0] = UsccPGetDatum(&u);
		values[1] = ca_score_numeric_cached(ca_clamp_score(sum));
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}

	ca_stream_end(&evt);
	ca_stream_end(&san);
	ca_stream_end(&ent);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(ca_credit_grade);

/* credit_grade(score numeric) -> text: A >= 90, B >= 70, C >= 40, else D */
Datum
ca_credit_grade(PG_FUNCTION_ARGS)
{
	static const int bounds[] = {90, 70, 40};
	static const char *const grades[] = {"A", "B", "C", "D"};
	Datum		score = PG_GETARG_DATUM(0);
	int			i;

	if (numeric_is_nan(DatumGetNumeric(score)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot grade a credit score of NaN")));
	for (i = 0; i < (int) lengthof(bounds); i++)
	{
		Datum		bound = DirectFunctionCall1(int4_numeric, Int32GetDatum(bounds[i]));

		if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, score, bound)) >= 0)
			break;
	}
	PG_RETURN_TEXT_P(cstring_to_text(grades[i]));
}

static int
ca_int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

PG_FUNCTION_INFO_V1(ca_score_history);

/*
 * score_history(u uscc, from date, to date, basis text) -> TABLE(day date, score numeric)
 *
 * The score as a step function: a row for from, a row for every later day of [from, to] whose
 * score (as returned, rounded to 2 decimals) differs from the day before, and a row for to.
 * The score on any day is that of the last row at or before it, so a step plot ("hold until the
 * next row") is exact on every day.  While a removed listing recovers, the score changes every
 * day (or every few days for small deductions), and those days are all returned.
 *
 * Days are evaluated one at a time only where some sanction is recovering; between the days on
 * which anything starts or ends (breakpoints) the score is otherwise constant and is skipped.
 */
Datum
ca_score_history(PG_FUNCTION_ARGS)
{
	Uscc	   *u = PG_GETARG_USCC_P(0);
	DateADT		from = PG_GETARG_DATEADT(1);
	DateADT		to = PG_GETARG_DATEADT(2);
	CaRecordReader *reader;
	CaRecord	rec;
	TupleDesc	tupdesc;
	Tuplestorestate *store;
	int64	   *bp;
	int			nbp = 0,
				nb = 0;
	int64		d;
	Datum		prev = (Datum) 0;
	CaBasis		basis = ca_basis_arg(PG_GETARG_TEXT_PP(3));

	if (DATE_NOT_FINITE(from) || DATE_NOT_FINITE(to))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("score history needs finite days"),
				 errdetail("The range given is from \"%s\" to \"%s\".",
						   DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(from))),
						   DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(to))))));
	if (from > to)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("score history range starts after it ends"),
				 errdetail("The range given is from \"%s\" to \"%s\".",
						   DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(from))),
						   DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(to)))),
				 errhint("Give the earlier day first.")));

	reader = ca_call_reader(fcinfo);
	store = ca_materialize_setup(fcinfo, &tupdesc);
	ca_record_read(reader, u, GetActiveSnapshot(), &rec);

	/* breakpoints: every day on which some contribution starts, ends or starts recovering */
	bp = palloc((4 * rec.nsanctions + 2 * rec.nevents + 1) * sizeof(int64));
	for (int i = 0; i < rec.nsanctions; i++)
	{
		CaSanction *s = &rec.sanctions[i];

		if (s->revoked)
			continue;
		bp[nbp++] = s->fact_date;
		bp[nbp++] = s->listed_on;
		if (s->removed_on != DATEVAL_NOEND)
		{
			bp[nbp++] = s->removed_on;
			bp[nbp++] = (int64) s->removed_on + s->recovery_days;
		}
	}
	for (int i = 0; i < rec.nevents; i++)
	{
		CaEvent    *e = &rec.events[i];

		bp[nbp++] = e->event_date;
		if (e->valid_days > 0 && !DATE_NOT_FINITE(e->event_date))
			bp[nbp++] = (int64) e->event_date + e->valid_days;
	}
	qsort(bp, nbp, sizeof(int64), ca_int64_cmp);

	d = from;
	for (;;)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};
		bool		recovering = false;

		values[1] = ca_score_numeric_cached(ca_score_compute(&rec, (DateADT) d, basis));
		if (d == from || d == to ||
			DatumGetInt32(DirectFunctionCall2(numeric_cmp, values[1], prev)) != 0)
		{
			values[0] = DateADTGetDatum((DateADT) d);
			tuplestore_putvalues(store, tupdesc, values, nulls);
		}
		prev = values[1];
		if (d == to)
			break;

		/* does any contribution change between d and d + 1 without a breakpoint? */
		for (int i = 0; i < rec.nsanctions && !recovering; i++)
		{
			CaSanction *s = &rec.sanctions[i];

			recovering = !s->revoked && s->points != 0.0 && s->recovery_days > 0 &&
				s->removed_on != DATEVAL_NOEND && s->removed_on <= d &&
				d + 1 < (int64) s->removed_on + s->recovery_days;
		}
		if (recovering)
			d++;
		else
		{
			/* constant until the next breakpoint after d */
			while (nb < nbp && bp[nb] <= d)
				nb++;
			d = (nb < nbp && bp[nb] < to) ? bp[nb] : to;
		}
	}
	return (Datum) 0;
}

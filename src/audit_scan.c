/*
 * audit_scan.c
 *	  audit() in FROM as a streaming scan: a custom scan that reads audit.c's stream row by row.
 *
 * PostgreSQL runs a set-returning function in FROM through a tuplestore: the function's rows
 * are all materialized first (spilling to a temporary file beyond work_mem) and then read back.
 * For audit(), whose result is as large as the findings (1.8 M rows on the 3 M-grant benchmark),
 * that copy costs about as much as the sweep itself.  So when the planner meets
 * credit_audit.audit(...) alone in FROM, this module offers it another path: a custom scan
 * ("Custom Scan (credit_audit.audit)" in EXPLAIN) whose rows are the stream's rows in a virtual
 * slot, no tuple formed, nothing stored; memory stays bounded by the sanctions.  The rows, their
 * order and the checks are the function's own (one engine, audit.c).
 *
 * When the path is offered: the function is audit() (by its C symbol), alone in its FROM item,
 * without WITH ORDINALITY, with no reference to other FROM items (LATERAL), without SECURITY
 * DEFINER or SET options or a security module's fmgr hook, and the query does not need the
 * whole row as a value (whole-row references, and the row copies that UPDATE/DELETE/SELECT FOR
 * UPDATE keep of non-table FROM items).  Otherwise, or with credit_audit.enable_audit_scan = off, the function is called as
 * usual.  The scan does what the function call would: it checks EXECUTE on the function, and
 * a NULL basis gives no rows (STRICT).  The scan replaces the function scan (it does the same
 * work, less the copy) and is costed like a sequential scan of the guarded tables, plus the
 * sanctions as startup cost.
 *
 * In parallel (audit() is PARALLEL SAFE), a partial path: the participants share every guarded
 * leaf's blocks through parallel heap scans set up by the leader in the query's DSM, each with
 * its own copy of the sanctions (audit.c, ca_audit_parallel_*).
 *
 * The planner hook lives in this library, which the planner loads when it asks audit()'s support
 * function (audit_support) for a row estimate, before it collects the paths: so the first query
 * of a session already gets the scan.  The row estimate is the size of credit_audit.finding,
 * which holds what the sweep finds once the triggers and refresh_findings() have run (without
 * any counted, the guarded rows times the sanctions per enterprise).
 */
#include "credit_audit.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_inherits.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_class.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/supportnodes.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(ca_audit_support);

void		_PG_init(void);

#define CA_AUDIT_SCAN_NAME "credit_audit.audit"
#define CA_AUDIT_SYMBOL "ca_audit"

static bool ca_enable_audit_scan = true;
static set_rel_pathlist_hook_type ca_prev_set_rel_pathlist = NULL;

static void ca_audit_set_rel_pathlist(PlannerInfo *root, RelOptInfo *rel, Index rti,
									  RangeTblEntry *rte);
static Plan *ca_audit_plan_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
								List *tlist, List *clauses, List *custom_plans);
static Node *ca_audit_create_state(CustomScan *cscan);
static void ca_audit_begin(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *ca_audit_exec(CustomScanState *node);
static void ca_audit_end(CustomScanState *node);
static void ca_audit_rescan(CustomScanState *node);
static void ca_audit_explain(CustomScanState *node, List *ancestors, ExplainState *es);
static Size ca_audit_estimate_dsm(CustomScanState *node, ParallelContext *pcxt);
static void ca_audit_init_dsm(CustomScanState *node, ParallelContext *pcxt, void *coordinate);
static void ca_audit_reinit_dsm(CustomScanState *node, ParallelContext *pcxt, void *coordinate);
static void ca_audit_init_worker(CustomScanState *node, shm_toc *toc, void *coordinate);

static const CustomPathMethods ca_audit_path_methods = {
	.CustomName = CA_AUDIT_SCAN_NAME,
	.PlanCustomPath = ca_audit_plan_path,
};

static const CustomScanMethods ca_audit_scan_methods = {
	.CustomName = CA_AUDIT_SCAN_NAME,
	.CreateCustomScanState = ca_audit_create_state,
};

static const CustomExecMethods ca_audit_exec_methods = {
	.CustomName = CA_AUDIT_SCAN_NAME,
	.BeginCustomScan = ca_audit_begin,
	.ExecCustomScan = ca_audit_exec,
	.EndCustomScan = ca_audit_end,
	.ReScanCustomScan = ca_audit_rescan,
	.ExplainCustomScan = ca_audit_explain,
	.EstimateDSMCustomScan = ca_audit_estimate_dsm,
	.InitializeDSMCustomScan = ca_audit_init_dsm,
	.ReInitializeDSMCustomScan = ca_audit_reinit_dsm,
	.InitializeWorkerCustomScan = ca_audit_init_worker,
};

void
_PG_init(void)
{
	DefineCustomBoolVariable("credit_audit.enable_audit_scan",
							 "Lets the planner run credit_audit.audit() in FROM as a streaming scan.",
							 "When off, audit() in FROM is called as a set-returning function, "
							 "whose rows are materialized before they are read.",
							 &ca_enable_audit_scan,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("credit_audit");
#else
	EmitWarningsOnPlaceholders("credit_audit");
#endif
	RegisterCustomScanMethods(&ca_audit_scan_methods);
	ca_prev_set_rel_pathlist = set_rel_pathlist_hook;
	set_rel_pathlist_hook = ca_audit_set_rel_pathlist;
}

/* ---- planning ---- */

/* Is funcid this library's audit()?  Recognized by its C symbol and library. */
static bool
ca_is_audit_function(Oid funcid, bool *plain)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	Form_pg_proc proc;
	bool		result = false;

	*plain = false;
	if (!HeapTupleIsValid(tup))
		return false;
	proc = (Form_pg_proc) GETSTRUCT(tup);
	if (proc->prolang == ClanguageId && proc->proretset && proc->pronargs == 1)
	{
		bool		isnull;
		Datum		src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);
		Datum		bin;

		if (!isnull && strcmp(TextDatumGetCString(src), CA_AUDIT_SYMBOL) == 0)
		{
			bin = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_probin, &isnull);
			if (!isnull)
			{
				char	   *path = TextDatumGetCString(bin);
				const char *base = strrchr(path, '/');

				base = base ? base + 1 : path;
				result = strcmp(base, "credit_audit") == 0 ||
					strncmp(base, "credit_audit.", strlen("credit_audit.")) == 0;
			}
			/* what fmgr would wrap around the call: leave those calls to it */
			SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_proconfig, &isnull);
			*plain = !proc->prosecdef && isnull;
		}
	}
	ReleaseSysCache(tup);
	return result;
}

/* relpages and reltuples of a relation as last counted (0 if never). */
static void
ca_rel_size(Oid relid, double *pages, double *tuples)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));

	if (!HeapTupleIsValid(tup))
		return;
	if (((Form_pg_class) GETSTRUCT(tup))->relkind == RELKIND_RELATION)
	{
		*pages += ((Form_pg_class) GETSTRUCT(tup))->relpages;
		*tuples += Max(((Form_pg_class) GETSTRUCT(tup))->reltuples, 0);
	}
	ReleaseSysCache(tup);
}

/*
 * What the sweep reads: the guarded tables' leaves, by their relpages and reltuples as last
 * counted.  Read without permission checks: it only sizes the plan.
 */
static void
ca_guarded_size(double *pages, double *tuples)
{
	Relation	gt = table_open(ca_relation_oid(CA_REL_GUARDED_TABLE), AccessShareLock);
	Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());
	TableScanDesc scan = table_beginscan(gt, snapshot, 0, NULL);
	HeapTuple	tup;

	*pages = *tuples = 0;
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		/* column 1 of guarded_table: tbl */
		Oid			relid = DatumGetObjectId(heap_getattr(tup, 1, RelationGetDescr(gt), &isnull));
		List	   *leaves;
		ListCell   *lc;

		if (isnull || get_rel_relkind(relid) == '\0')
			continue;
		leaves = find_all_inheritors(relid, NoLock, NULL);
		foreach(lc, leaves)
			ca_rel_size(lfirst_oid(lc), pages, tuples);
	}
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(gt, AccessShareLock);
}

/*
 * The costs of the sweep, in the terms of cost_seqscan(): before the first row, reading and
 * hashing the sanctions (startup); then a sequential scan of every guarded table with a hash
 * probe per row (disk and CPU parts), and the rows returned.
 */
typedef struct CaAuditCost
{
	double		startup;
	double		disk;
	double		cpu;
	double		pages;			/* of the guarded tables */
} CaAuditCost;

static void
ca_audit_cost(CaAuditCost *c, double rows)
{
	double		spages = 0,
				stuples = 0,
				gtuples = 0;

	ca_rel_size(ca_relation_oid(CA_REL_SANCTION), &spages, &stuples);
	ca_guarded_size(&c->pages, &gtuples);
	c->startup = seq_page_cost * spages + 2 * cpu_tuple_cost * stuples;
	c->disk = seq_page_cost * c->pages;
	c->cpu = (cpu_tuple_cost + cpu_operator_cost) * gtuples + cpu_tuple_cost * rows;
}

static CustomPath *
ca_audit_path(RelOptInfo *rel, const CaAuditCost *c, int workers)
{
	CustomPath *cp = makeNode(CustomPath);
	double		divisor = 1;

	cp->path.pathtype = T_CustomScan;
	cp->path.parent = rel;
	cp->path.pathtarget = rel->reltarget;
	cp->path.param_info = NULL;
	cp->path.parallel_aware = workers > 0;
	cp->path.parallel_safe = workers > 0;
	cp->path.parallel_workers = workers;
	if (workers > 0)
	{
		/* the share of the leader as get_parallel_divisor() reckons it */
		divisor = workers;
		if (parallel_leader_participation && 1.0 - 0.3 * workers > 0)
			divisor += 1.0 - 0.3 * workers;
	}
	cp->path.rows = clamp_row_est(rel->rows / divisor);
	cp->path.startup_cost = c->startup;
	cp->path.total_cost = c->startup + c->disk + c->cpu / divisor;
	cp->path.pathkeys = NIL;
	cp->flags = 0;
	cp->custom_paths = NIL;
	cp->custom_private = NIL;
	cp->methods = &ca_audit_path_methods;
	return cp;
}

static void
ca_audit_set_rel_pathlist(PlannerInfo *root, RelOptInfo *rel, Index rti, RangeTblEntry *rte)
{
	RangeTblFunction *rtfunc;
	FuncExpr   *fe;
	Bitmapset  *attrs = NULL;
	ListCell   *lc;
	CaAuditCost cost;
	bool		plain;

	if (ca_prev_set_rel_pathlist)
		ca_prev_set_rel_pathlist(root, rel, rti, rte);

	if (!ca_enable_audit_scan || rte->rtekind != RTE_FUNCTION ||
		rel->reloptkind != RELOPT_BASEREL || rte->funcordinality ||
		list_length(rte->functions) != 1 || !bms_is_empty(rel->lateral_relids))
		return;
	rtfunc = linitial_node(RangeTblFunction, rte->functions);
	if (!IsA(rtfunc->funcexpr, FuncExpr))
		return;
	fe = (FuncExpr *) rtfunc->funcexpr;
	if (!fe->funcretset || list_length(fe->args) != 1 ||
		!ca_is_audit_function(fe->funcid, &plain) || !plain ||
		FmgrHookIsNeeded(fe->funcid))	/* a security module wants to see the call */
		return;

	/* the scan returns columns, not the row as a value */
	pull_varattnos((Node *) rel->reltarget->exprs, rel->relid, &attrs);
	foreach(lc, rel->baserestrictinfo)
		pull_varattnos((Node *) lfirst_node(RestrictInfo, lc)->clause, rel->relid, &attrs);
	if (bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs))
		return;

	/*
	 * The scan does the function's work without storing its rows: it replaces the function
	 * scan (whose cost, from the function's nominal per-row cost, says nothing of the sweep).
	 */
	ca_audit_cost(&cost, rel->rows);
	rel->pathlist = NIL;
	add_path(rel, &ca_audit_path(rel, &cost, 0)->path);

	/*
	 * A parallel scan: the participants share each guarded table's blocks (a parallel heap
	 * scan each), every one with its own copy of the sanctions.  As many workers as a
	 * sequential scan of the guarded tables would get.
	 */
	if (rel->consider_parallel && max_parallel_workers_per_gather > 0)
	{
		int			workers = compute_parallel_worker(rel, cost.pages, -1,
													  max_parallel_workers_per_gather);

		if (workers > 0)
		{
			rel->partial_pathlist = NIL;
			add_partial_path(rel, &ca_audit_path(rel, &cost, workers)->path);
		}
	}
}

static Plan *
ca_audit_plan_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
				   List *tlist, List *clauses, List *custom_plans)
{
	RangeTblEntry *rte = planner_rt_fetch(rel->relid, root);
	RangeTblFunction *rtfunc = linitial_node(RangeTblFunction, rte->functions);
	FuncExpr   *fe = castNode(FuncExpr, rtfunc->funcexpr);
	CustomScan *cs = makeNode(CustomScan);
	TupleDesc	desc;
	List	   *scan_tlist = NIL;

	if (get_expr_result_type((Node *) fe, NULL, &desc) != TYPEFUNC_COMPOSITE ||
		desc->natts != CA_AUDIT_NATTS)
		elog(ERROR, "credit_audit.audit() must return %d columns", CA_AUDIT_NATTS);

	/* the scan tuple: the function's columns, which the Vars of tlist and quals refer to */
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Var		   *v = makeVar(rel->relid, i + 1, att->atttypid, att->atttypmod,
								att->attcollation, 0);

		scan_tlist = lappend(scan_tlist,
							 makeTargetEntry((Expr *) v, i + 1, pstrdup(NameStr(att->attname)),
											 false));
	}

	cs->scan.plan.targetlist = tlist;
	cs->scan.plan.qual = extract_actual_clauses(clauses, false);
	cs->scan.scanrelid = 0;
	cs->flags = best_path->flags;
	cs->custom_plans = NIL;
	cs->custom_exprs = list_make1(copyObject(linitial(fe->args)));	/* the basis */
	cs->custom_private = list_make1_oid(fe->funcid);
	/* a change to the function (ALTER FUNCTION, DROP) invalidates the plan, as for a call */
	record_plan_function_dependency(root, fe->funcid);
	cs->custom_scan_tlist = scan_tlist;
	cs->methods = &ca_audit_scan_methods;
	return &cs->scan.plan;
}

/*
 * audit_support(internal): planner support of audit().  Row estimate: the number of findings
 * (what the sweep finds, once the triggers and refresh_findings() have run) as last counted by
 * VACUUM or ANALYZE; with none counted (data loaded with triggers off), the guarded rows times
 * the sanctions per enterprise, at most one each.
 */
Datum
ca_audit_support(PG_FUNCTION_ARGS)
{
	Node	   *req = (Node *) PG_GETARG_POINTER(0);

	if (IsA(req, SupportRequestRows))
	{
		SupportRequestRows *r = (SupportRequestRows *) req;
		double		pages = 0,
					findings = 0,
					sanctions = 0,
					enterprises = 0,
					grants = 0;

		ca_rel_size(ca_relation_oid(CA_REL_FINDING), &pages, &findings);
		if (findings < 1)
		{
			ca_rel_size(ca_relation_oid(CA_REL_SANCTION), &pages, &sanctions);
			ca_rel_size(ca_relation_oid(CA_REL_ENTERPRISE), &pages, &enterprises);
			ca_guarded_size(&pages, &grants);
			findings = grants * Min(1.0, sanctions / Max(enterprises, 1));
		}
		r->rows = clamp_row_est(findings);
		PG_RETURN_POINTER(r);
	}
	PG_RETURN_POINTER(NULL);
}

/* ---- execution ---- */

typedef struct CaAuditScanState
{
	CustomScanState css;
	Oid			funcid;
	ExprState  *basis;
	CaAuditStream *stream;
	bool		done;			/* the stream ended (or the basis is NULL) */
	CaAuditParallel *par;		/* shared state of a parallel scan, or NULL */
	List	   *leaves;			/* leader: the leaves estimated for it */
	Size		par_size;
} CaAuditScanState;

static Node *
ca_audit_create_state(CustomScan *cscan)
{
	CaAuditScanState *st = palloc0(sizeof(CaAuditScanState));

	NodeSetTag(st, T_CustomScanState);
	st->css.methods = &ca_audit_exec_methods;
	st->funcid = linitial_oid(cscan->custom_private);
	return (Node *) st;
}

static void
ca_audit_begin(CustomScanState *node, EState *estate, int eflags)
{
	CaAuditScanState *st = (CaAuditScanState *) node;
	CustomScan *cs = (CustomScan *) node->ss.ps.plan;
	AclResult	acl;

	/* what calling the function would check (init_sexpr() in execSRF.c) */
	acl = pg_proc_aclcheck(st->funcid, GetUserId(), ACL_EXECUTE);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_FUNCTION, get_func_name(st->funcid));
	InvokeFunctionExecuteHook(st->funcid);
	st->basis = ExecInitExpr(linitial(cs->custom_exprs), &node->ss.ps);
}

/* The next row in the scan slot; an empty slot at the end. */
static TupleTableSlot *
ca_audit_next(ScanState *ss)
{
	CaAuditScanState *st = (CaAuditScanState *) ss;
	TupleTableSlot *slot = ss->ss_ScanTupleSlot;

	ExecClearTuple(slot);
	if (st->done)
		return slot;
	if (st->stream == NULL)
	{
		EState	   *estate = ss->ps.state;
		ExprContext *econtext = ss->ps.ps_ExprContext;
		bool		isnull;
		Datum		basis = ExecEvalExprSwitchContext(st->basis, econtext, &isnull);
		MemoryContext old;

		if (isnull)
		{
			st->done = true;	/* audit() is STRICT: no rows */
			return slot;
		}
		old = MemoryContextSwitchTo(estate->es_query_cxt);
		st->stream = ca_audit_stream_begin(ca_parse_basis(TextDatumGetCString(basis)),
										   estate->es_snapshot, st->par);
		MemoryContextSwitchTo(old);
	}
	if (!ca_audit_stream_next(st->stream, slot->tts_values, slot->tts_isnull))
	{
		ca_audit_stream_end(st->stream);
		st->stream = NULL;
		st->done = true;
		return slot;
	}
	return ExecStoreVirtualTuple(slot);
}

/* Rows are produced, not fetched: there is nothing to recheck (no EvalPlanQual path either). */
static bool
ca_audit_recheck(ScanState *ss, TupleTableSlot *slot)
{
	return true;
}

static TupleTableSlot *
ca_audit_exec(CustomScanState *node)
{
	return ExecScan(&node->ss, ca_audit_next, ca_audit_recheck);
}

static void
ca_audit_end(CustomScanState *node)
{
	CaAuditScanState *st = (CaAuditScanState *) node;

	if (st->stream != NULL)
		ca_audit_stream_end(st->stream);
	st->stream = NULL;
}

static void
ca_audit_rescan(CustomScanState *node)
{
	CaAuditScanState *st = (CaAuditScanState *) node;

	ca_audit_end(node);
	st->done = false;
	ExecScanReScan(&node->ss);
}

static void
ca_audit_explain(CustomScanState *node, List *ancestors, ExplainState *es)
{
	CustomScan *cs = (CustomScan *) node->ss.ps.plan;
	List	   *context = set_deparse_context_plan(es->deparse_cxt, &cs->scan.plan, ancestors);

	ExplainPropertyText("Basis", deparse_expression(linitial(cs->custom_exprs), context,
													false, false), es);
}

/* ---- parallel execution: the shared state lives in the parallel query's DSM ---- */

static Size
ca_audit_estimate_dsm(CustomScanState *node, ParallelContext *pcxt)
{
	CaAuditScanState *st = (CaAuditScanState *) node;

	st->par_size = ca_audit_parallel_estimate(node->ss.ps.state->es_snapshot, &st->leaves);
	return st->par_size;
}

static void
ca_audit_init_dsm(CustomScanState *node, ParallelContext *pcxt, void *coordinate)
{
	CaAuditScanState *st = (CaAuditScanState *) node;

	ca_audit_parallel_init(coordinate, st->par_size, st->leaves,
						   node->ss.ps.state->es_snapshot);
	st->par = coordinate;
}

static void
ca_audit_reinit_dsm(CustomScanState *node, ParallelContext *pcxt, void *coordinate)
{
	ca_audit_parallel_reinit(coordinate);
}

static void
ca_audit_init_worker(CustomScanState *node, shm_toc *toc, void *coordinate)
{
	((CaAuditScanState *) node)->par = coordinate;
}

/*
 * audit.c
 *	  Sanction trigger, findings, NOTIFY and the audit sweep.
 *
 * Placeholder: implemented on its own branch.
 */
#include "credit_audit.h"

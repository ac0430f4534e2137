/*
 * uscc.c
 *	  The SQL type uscc.
 *
 * Placeholder: implemented on its own branch.
 */
#include "credit_audit.h"

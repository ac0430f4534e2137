/*
 * score.c
 *	  Credit record loading and the credit score.
 *
 * Placeholder: implemented on its own branch.
 */
#include "credit_audit.h"

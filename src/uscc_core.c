/*
 * uscc_core.c
 *	  Pure-C USCC parser/formatter (see uscc_core.h).
 *
 * Placeholder: implemented on branch uscc_core.
 */
#include "uscc_core.h"

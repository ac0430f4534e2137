# credit_audit — PGXS build.
#
# The install script of the current version, credit_audit--$(EXTVERSION).sql, is assembled from one
# piece per concept in src/sql/ (concatenated in name order), so that each C file and its SQL
# declarations live side by side.  src/sql/history/ keeps the install scripts of released versions
# as they shipped (frozen) and the upgrade scripts credit_audit--OLD--NEW.sql; test/upgrade.test.sh
# checks that installing an old version and updating gives what a fresh install gives.

EXTENSION = credit_audit
MODULE_big = credit_audit
OBJS = \
	src/uscc_core.o \
	src/uscc.o \
	src/common.o \
	src/score.o \
	src/guard.o \
	src/finding.o \
	src/audit.o \
	src/audit_scan.o \
	src/ingest.o \
	src/svg.o

EXTVERSION = 1.1
SQL_PIECES = $(sort $(wildcard src/sql/*.sql))
DATA_built = credit_audit--$(EXTVERSION).sql
DATA = $(sort $(wildcard src/sql/history/credit_audit--*.sql))

# One pg_regress file per concept; each starts from a freshly created extension.
REGRESS := $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --load-extension=plpgsql
ISOLATION := $(sort $(basename $(notdir $(wildcard test/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test --outputdir=output_iso

PG_CPPFLAGS = -I$(srcdir)/src -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
EXTRA_CLEAN = output_iso results regression.diffs regression.out test/fuzz/uscc_check \
	test/fuzz/uscc_fuzz

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

credit_audit--$(EXTVERSION).sql: $(SQL_PIECES)
	cat $^ > $@

# Pure-C check of the USCC parser, linked without the server (see test/fuzz/).
test/fuzz/uscc_check: test/fuzz/uscc_check.c src/uscc_core.c src/uscc_core.h
	$(CC) -std=c99 -O1 -g -Wall -Wextra -I$(srcdir)/src -o $@ test/fuzz/uscc_check.c src/uscc_core.c

.PHONY: unitcheck
unitcheck: test/fuzz/uscc_check
	test/fuzz/uscc_check

# libFuzzer harness of the USCC parser (needs clang): runs FUZZ_SECONDS from the seeds in
# test/fuzz/seeds, writing what it finds to FUZZ_CORPUS (outside the tree).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CORPUS ?= /tmp/credit_audit-uscc-corpus
test/fuzz/uscc_fuzz: test/fuzz/uscc_fuzz.c src/uscc_core.c src/uscc_core.h
	$(FUZZ_CC) -g -O1 -Wall -Wextra -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I$(srcdir)/src \
		-o $@ test/fuzz/uscc_fuzz.c src/uscc_core.c

.PHONY: fuzz
fuzz: test/fuzz/uscc_fuzz
	mkdir -p $(FUZZ_CORPUS)
	test/fuzz/uscc_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=128 $(FUZZ_CORPUS) test/fuzz/seeds

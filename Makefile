# agentd — see README.md.  `make` builds into build/; `make check` runs the
# whole suite; `make asan` builds with ASan+UBSan and runs the unit tests;
# `make fuzz` builds the libFuzzer targets and runs each for FUZZ_SECONDS.

BUILD		?= build
CC		?= cc
PREFIX		?= /usr/local
DESTDIR		?=
LIBEXECDIR	?= $(PREFIX)/libexec/agentd
SYSCONFDIR	?= /etc
PYTHON		?= /usr/bin/python3
FUZZ_SECONDS	?= 20

WARN		= -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
		  -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS		?= -O2 -g
CFLAGS		+= $(WARN) -std=gnu11 -Iinclude -D_GNU_SOURCE \
		   -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
CFLAGS		+= $(EXTRA_CFLAGS)
LDFLAGS		+= -pie -Wl,-z,relro,-z,now $(EXTRA_LDFLAGS)
LIBS		= -levent -lssl -lcrypto -lcjson -lseccomp -lyaml

MAINS		= agentd/main.c agentctl/agentctl.c workers/watcher/watcher.c \
		  workers/executor/executor.c workers/reporter/reporter.c \
		  workers/pause/pause.c

COMMON_SRCS	= $(wildcard ipc/*.c) workers/sandbox.c workers/worker.c
AGENTD_SRCS	= $(filter-out $(MAINS),$(wildcard agentd/*.c))
AGENTCTL_SRCS	= $(filter-out $(MAINS),$(wildcard agentctl/*.c))
WATCHER_SRCS	= $(filter-out $(MAINS),$(wildcard workers/watcher/*.c))
EXECUTOR_SRCS	= $(filter-out $(MAINS),$(wildcard workers/executor/*.c))
REPORTER_SRCS	= $(filter-out $(MAINS),$(wildcard workers/reporter/*.c))

obj		= $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_COMMON	= $(BUILD)/lib/libcommon.a
LIB_AGENTD	= $(BUILD)/lib/libagentd.a
LIB_AGENTCTL	= $(BUILD)/lib/libagentctl.a
LIB_WATCHER	= $(BUILD)/lib/libwatcher.a
LIB_EXECUTOR	= $(BUILD)/lib/libexecutor.a
LIB_REPORTER	= $(BUILD)/lib/libreporter.a
ALL_LIBS	= $(LIB_AGENTD) $(LIB_AGENTCTL) $(LIB_WATCHER) \
		  $(LIB_EXECUTOR) $(LIB_REPORTER) $(LIB_COMMON)

BINS		= $(BUILD)/agentd $(BUILD)/agentctl $(BUILD)/agentd-watcher \
		  $(BUILD)/agentd-executor $(BUILD)/agentd-reporter \
		  $(BUILD)/agentd-pause
UNIT_SRCS	= $(wildcard tests/unit/test_*.c)
UNIT_BINS	= $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

all: $(BINS) $(UNIT_BINS)

$(BUILD)/obj/%.o: %.c $(wildcard include/*.h) $(wildcard */*.h) \
		$(wildcard workers/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

define mklib
$(1): $(call obj,$(2))
	@mkdir -p $$(dir $$@)
	rm -f $$@
	ar rcs $$@ $$^
endef
$(eval $(call mklib,$(LIB_COMMON),$(COMMON_SRCS)))
$(eval $(call mklib,$(LIB_AGENTD),$(AGENTD_SRCS)))
$(eval $(call mklib,$(LIB_AGENTCTL),$(AGENTCTL_SRCS)))
$(eval $(call mklib,$(LIB_WATCHER),$(WATCHER_SRCS)))
$(eval $(call mklib,$(LIB_EXECUTOR),$(EXECUTOR_SRCS)))
$(eval $(call mklib,$(LIB_REPORTER),$(REPORTER_SRCS)))

$(BUILD)/agentd: $(call obj,agentd/main.c) $(LIB_AGENTD) $(LIB_COMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/agentctl: $(call obj,agentctl/agentctl.c) $(LIB_AGENTCTL) $(LIB_COMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/agentd-watcher: $(call obj,workers/watcher/watcher.c) $(LIB_WATCHER) $(LIB_COMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/agentd-executor: $(call obj,workers/executor/executor.c) $(LIB_EXECUTOR) $(LIB_COMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/agentd-reporter: $(call obj,workers/reporter/reporter.c) $(LIB_REPORTER) $(LIB_COMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
# the pod sandbox's infra process: static, so it runs in an empty rootfs
$(BUILD)/agentd-pause: workers/pause/pause.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O2 -static -o $@ $<

# tests/unit/test_<component>_<what>.c links lib<component>.a + libcommon.a
define unitrule
$(BUILD)/tests/test_$(1)_%: tests/unit/test_$(1)_%.c tests/unit/tap.h $(2) $(LIB_COMMON)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) -Itests/unit $$(LDFLAGS) -o $$@ $$< $(2) $(LIB_COMMON) $$(LIBS)
endef
$(eval $(call unitrule,common,))
$(eval $(call unitrule,agentd,$(LIB_AGENTD)))
$(eval $(call unitrule,agentctl,$(LIB_AGENTCTL)))
$(eval $(call unitrule,watcher,$(LIB_WATCHER)))
$(eval $(call unitrule,executor,$(LIB_EXECUTOR)))
$(eval $(call unitrule,reporter,$(LIB_REPORTER)))

# the test build: identical but for the test-only hooks (MSG_TEST_HOOK)
testbuild:
	$(MAKE) BUILD=build-test EXTRA_CFLAGS=-DAGENTD_TEST_HOOKS all

unit: all
	$(PYTHON) -m pytest -q tests/test_unit.py --build=$(BUILD)

check: all testbuild
	$(PYTHON) -m pytest -v -rs tests/ --build=$(BUILD) --testbuild=build-test

asan:
	$(MAKE) BUILD=build-asan CC=clang \
	    EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -Wno-error=unused-command-line-argument" \
	    EXTRA_LDFLAGS="-fsanitize=address,undefined" all
	ASAN_OPTIONS=detect_leaks=1 $(PYTHON) -m pytest -q tests/test_unit.py --build=build-asan

FUZZ_TARGETS	= $(patsubst tests/fuzz/%.c,build-fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SRCS	= $(wildcard ipc/*.c) $(WATCHER_SRCS) $(REPORTER_SRCS)
build-fuzz/%: tests/fuzz/%.c $(FUZZ_SRCS)
	@mkdir -p build-fuzz
	clang -g -O1 -std=gnu11 -Iinclude -D_GNU_SOURCE -DAGENTD_FUZZ \
	    -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_SRCS) $(LIBS)
fuzz: $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do n=$$(basename $$t); \
	    mkdir -p tests/fuzz/corpus/$$n; \
	    echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	    $$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	        tests/fuzz/corpus/$$n >build-fuzz/$$n.log 2>&1 || \
	        { tail -40 build-fuzz/$$n.log; exit 1; }; done

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(LIBEXECDIR)
	install -m 0755 $(BUILD)/agentd $(BUILD)/agentctl $(DESTDIR)$(PREFIX)/sbin/
	install -m 0755 $(BUILD)/agentd-watcher $(BUILD)/agentd-executor \
	    $(BUILD)/agentd-reporter $(BUILD)/agentd-pause $(DESTDIR)$(LIBEXECDIR)/

clean:
	rm -rf build build-test build-asan build-fuzz

.PHONY: all check unit asan fuzz testbuild install clean
.SECONDARY:

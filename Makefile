# agentd — see README.md.  `make` builds into build/; `make check` runs the
# whole suite; `make asan` builds with ASan+UBSan and runs the unit tests;
# `make fuzz` builds the libFuzzer targets and runs each for FUZZ_SECONDS;
# `make fuzz-long` runs each to FUZZ_RUNS (10 M) executions.

BUILD		?= build
CC		?= cc
PREFIX		?= /usr/local
DESTDIR		?=
LIBEXECDIR	?= $(PREFIX)/libexec/agentd
SYSCONFDIR	?= /etc
PYTHON		?= /usr/bin/python3
FUZZ_SECONDS	?= 20
FUZZ_RUNS	?= 10000000

WARN		= -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
		  -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS		?= -O2 -g
CFLAGS		+= $(WARN) -std=gnu11 -Iinclude -D_GNU_SOURCE \
		   -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
CFLAGS		+= $(EXTRA_CFLAGS)
LDFLAGS		+= -pie -Wl,-z,relro,-z,now $(EXTRA_LDFLAGS)
# each binary links only the system libraries it uses: libyaml where YAML
# is read (agentd.yaml by agentd and agentctl, manifests by the watcher),
# libcrypto for the audit HMAC and the digests (static pod uids, images,
# identities), libseccomp in the sandboxed workers (workers/sandbox.c),
# libhttp_parser, libssl and libevent_openssl for the API server's HTTP
# over TLS in the watcher and the reporter (workers/apiclient.c,
# workers/apihttp.c), zlib where rotated CRI logs are gzipped (the
# executor, workers/executor/logrotate.c) and read (agentctl logs)
AGENTD_LIBS	= -levent -lcrypto -lcjson -lyaml
AGENTCTL_LIBS	= -levent -lcrypto -lcjson -lyaml -lz
WATCHER_LIBS	= -levent_openssl -levent -lssl -lcrypto -lcjson -lyaml -lseccomp \
		  -lhttp_parser
EXECUTOR_LIBS	= -levent -lcrypto -lcjson -lseccomp -lz
REPORTER_LIBS	= -levent_openssl -levent -lssl -lcrypto -lcjson -lseccomp \
		  -lhttp_parser
NOOP_LIBS	= -levent -lseccomp
NETPARSE_LIBS	= -levent -lcjson -lseccomp
PROBE_LIBS	= -lssl -lcrypto -lseccomp
# tests, tools, benchmarks and fuzz targets: the union
LIBS		= -levent_openssl -levent -lssl -lcrypto -lcjson -lseccomp -lyaml \
		  -lhttp_parser -lz

MAINS		= agentd/main.c agentctl/agentctl.c workers/watcher/watcher.c \
		  workers/executor/executor.c workers/reporter/reporter.c \
		  workers/pause/pause.c workers/noop/noop.c \
		  workers/netparse/netparse.c workers/probe/probe.c

# libipc.a: framing, marshalling, dispatch, the message catalog, the pod
# model and its wire form, pod events (ipc/); libcommon.a: what every
# binary shares and that needs no YAML (common/ but config.c); libconfig.a:
# the agentd.yaml and kubeconfig parsers; libworker.a: the workers' frame and sandbox
IPC_SRCS	= $(wildcard ipc/*.c)
COMMON_SRCS	= $(filter-out $(CONFIG_SRCS),$(wildcard common/*.c))
CONFIG_SRCS	= common/config.c common/kubeconfig.c
WORKER_SRCS	= workers/sandbox.c workers/worker.c workers/apiclient.c \
		  workers/apihttp.c workers/apisign.c
AGENTD_SRCS	= $(filter-out $(MAINS),$(wildcard agentd/*.c))
AGENTCTL_SRCS	= $(filter-out $(MAINS),$(wildcard agentctl/*.c))
WATCHER_SRCS	= $(filter-out $(MAINS),$(wildcard workers/watcher/*.c))
EXECUTOR_SRCS	= $(filter-out $(MAINS),$(wildcard workers/executor/*.c))
REPORTER_SRCS	= $(filter-out $(MAINS),$(wildcard workers/reporter/*.c))
PROBE_SRCS	= $(filter-out $(MAINS),$(wildcard workers/probe/*.c))

obj		= $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_IPC		= $(BUILD)/lib/libipc.a
LIB_COMMON	= $(BUILD)/lib/libcommon.a
LIB_CONFIG	= $(BUILD)/lib/libconfig.a
LIB_WORKER	= $(BUILD)/lib/libworker.a
LIB_AGENTD	= $(BUILD)/lib/libagentd.a
LIB_AGENTCTL	= $(BUILD)/lib/libagentctl.a
LIB_WATCHER	= $(BUILD)/lib/libwatcher.a
LIB_EXECUTOR	= $(BUILD)/lib/libexecutor.a
LIB_REPORTER	= $(BUILD)/lib/libreporter.a
LIB_PROBE	= $(BUILD)/lib/libprobe.a

# what each binary links, in link order (a library before the ones it
# uses: libconfig and libipc use libcommon, libworker uses all three)
AGENTD_ARS	= $(LIB_AGENTD) $(LIB_CONFIG) $(LIB_IPC) $(LIB_COMMON)
AGENTCTL_ARS	= $(LIB_AGENTCTL) $(LIB_CONFIG) $(LIB_IPC) $(LIB_COMMON)
WORKER_ARS	= $(LIB_WORKER) $(LIB_IPC) $(LIB_COMMON)
WATCHER_ARS	= $(LIB_WATCHER) $(WORKER_ARS)
EXECUTOR_ARS	= $(LIB_EXECUTOR) $(WORKER_ARS)
REPORTER_ARS	= $(LIB_REPORTER) $(WORKER_ARS)
# unit tests, tools and benchmarks: every shared library
BASE_ARS	= $(LIB_WORKER) $(LIB_CONFIG) $(LIB_IPC) $(LIB_COMMON)

BINS		= $(BUILD)/agentd $(BUILD)/agentctl $(BUILD)/agentd-watcher \
		  $(BUILD)/agentd-executor $(BUILD)/agentd-reporter \
		  $(BUILD)/agentd-netparse $(BUILD)/agentd-pause \
		  $(BUILD)/agentd-probe
UNIT_SRCS	= $(wildcard tests/unit/test_*.c)
UNIT_BINS	= $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

TOOLS		= $(BUILD)/tests/tools/auditgen $(BUILD)/bench/audit_bench \
		  $(BUILD)/bench/ipc_bench $(BUILD)/tests/tools/seccomp_probe \
		  $(BUILD)/tests/tools/suid_probe \
		  $(BUILD)/tests/tools/msgcatdoc $(BUILD)/tests/tools/configbin \
		  $(BUILD)/tests/tools/apiwatch_decode \
		  $(BUILD)/tests/tools/podpatch_diff \
		  $(BUILD)/tests/tools/apiget \
		  $(BUILD)/tests/tools/apisource_run \
		  $(BUILD)/tests/tools/apireport_drive \
		  $(BUILD)/tests/tools/watch_throughput

# the compromised watcher of the system tests: only in the test build
ifneq ($(findstring AGENTD_TEST_HOOKS,$(EXTRA_CFLAGS)),)
TOOLS		+= $(BUILD)/tests/tools/agentd-watcher-fake
# the dummy role: one process table row (ipc/proctab.c) and its file
BINS		+= $(BUILD)/agentd-noop
endif

all: $(BINS) $(UNIT_BINS) $(TOOLS)

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
$(eval $(call mklib,$(LIB_IPC),$(IPC_SRCS)))
$(eval $(call mklib,$(LIB_COMMON),$(COMMON_SRCS)))
$(eval $(call mklib,$(LIB_CONFIG),$(CONFIG_SRCS)))
$(eval $(call mklib,$(LIB_WORKER),$(WORKER_SRCS)))
$(eval $(call mklib,$(LIB_AGENTD),$(AGENTD_SRCS)))
$(eval $(call mklib,$(LIB_AGENTCTL),$(AGENTCTL_SRCS)))
$(eval $(call mklib,$(LIB_WATCHER),$(WATCHER_SRCS)))
$(eval $(call mklib,$(LIB_EXECUTOR),$(EXECUTOR_SRCS)))
$(eval $(call mklib,$(LIB_REPORTER),$(REPORTER_SRCS)))
$(eval $(call mklib,$(LIB_PROBE),$(PROBE_SRCS)))

$(BUILD)/agentd: $(call obj,agentd/main.c) $(AGENTD_ARS)
	$(CC) $(LDFLAGS) -o $@ $^ $(AGENTD_LIBS)
$(BUILD)/agentctl: $(call obj,agentctl/agentctl.c) $(AGENTCTL_ARS)
	$(CC) $(LDFLAGS) -o $@ $^ $(AGENTCTL_LIBS)
$(BUILD)/agentd-watcher: $(call obj,workers/watcher/watcher.c) $(WATCHER_ARS)
	$(CC) $(LDFLAGS) -o $@ $^ $(WATCHER_LIBS)
$(BUILD)/agentd-executor: $(call obj,workers/executor/executor.c) $(EXECUTOR_ARS)
	$(CC) $(LDFLAGS) -o $@ $^ $(EXECUTOR_LIBS)
$(BUILD)/agentd-reporter: $(call obj,workers/reporter/reporter.c) $(REPORTER_ARS)
	$(CC) $(LDFLAGS) -o $@ $^ $(REPORTER_LIBS)
$(BUILD)/agentd-netparse: $(call obj,workers/netparse/netparse.c) $(WORKER_ARS)
	$(CC) $(LDFLAGS) -o $@ $^ $(NETPARSE_LIBS)
# the executor's TCP/HTTP prober (workers/probe/probe.c)
$(BUILD)/agentd-probe: $(call obj,workers/probe/probe.c) $(LIB_PROBE) $(WORKER_ARS)
	$(CC) $(LDFLAGS) -o $@ $^ $(PROBE_LIBS)
$(BUILD)/agentd-noop: $(call obj,workers/noop/noop.c) $(WORKER_ARS)
	$(CC) $(LDFLAGS) -o $@ $^ $(NOOP_LIBS)
# the pod sandbox's infra process: static, so it runs in an empty rootfs
$(BUILD)/agentd-pause: workers/pause/pause.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O2 -static -o $@ $<

# installed setuid root in an image by test_escalation.py
$(BUILD)/tests/tools/suid_probe: tests/tools/suid_probe.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O2 -static -o $@ $<

# tests/unit/test_<component>_<what>.c links lib<component>.a (none for
# common) + $(BASE_ARS) + $(LIBS)
define unitrule
$(BUILD)/tests/test_$(1)_%: tests/unit/test_$(1)_%.c $(wildcard tests/unit/*.h) $(2) $(BASE_ARS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) -Itests/unit $$(LDFLAGS) -o $$@ $$< $(2) $(BASE_ARS) $$(LIBS)
endef
$(eval $(call unitrule,common,))
$(eval $(call unitrule,agentd,$(LIB_AGENTD)))
$(eval $(call unitrule,agentctl,$(LIB_AGENTCTL)))
$(eval $(call unitrule,watcher,$(LIB_WATCHER)))
$(eval $(call unitrule,executor,$(LIB_EXECUTOR)))
$(eval $(call unitrule,reporter,$(LIB_REPORTER)))
$(eval $(call unitrule,probe,$(LIB_PROBE)))

# run inside a container by the seccomp tests: static, as agentd-pause
$(BUILD)/tests/tools/seccomp_probe: tests/tools/seccomp_probe.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O2 -static -o $@ $<

# test and benchmark programs that link the parent's audit writer
$(BUILD)/tests/tools/auditgen: tests/tools/auditgen.c $(LIB_AGENTD) $(BASE_ARS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)
# agentd.yaml to the workers' binary config, for tests that play agentd
$(BUILD)/tests/tools/configbin: tests/tools/configbin.c $(LIB_CONFIG) $(LIB_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(AGENTD_LIBS)
# the watcher's API decoders between the test API server and a test
$(BUILD)/tests/tools/apiwatch_decode: tests/tools/apiwatch_decode.c $(LIB_WATCHER) $(BASE_ARS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iworkers/watcher $(LDFLAGS) -o $@ $^ $(LIBS)
# the watcher's API source against the test API server
# (tests/test_apisource_live.py)
$(BUILD)/tests/tools/apisource_run: tests/tools/apisource_run.c \
    tests/tools/agentdpart.c $(LIB_WATCHER) $(BASE_ARS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iworkers/watcher $(LDFLAGS) -o $@ $^ $(LIBS)
# bench/api_bench.py (a): watch events through decode, convert, encode, send
$(BUILD)/tests/tools/watch_throughput: tests/tools/watch_throughput.c $(LIB_WATCHER) $(BASE_ARS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iworkers/watcher $(LDFLAGS) -o $@ $^ $(LIBS)
# the workers' API client against the test API server (tests/test_apiclient.py)
$(BUILD)/tests/tools/apiget: tests/tools/apiget.c tests/tools/agentdpart.c \
    $(BASE_ARS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)
# the reporter's pod status PATCH body between a test and the test API server
$(BUILD)/tests/tools/podpatch_diff: tests/tools/podpatch_diff.c $(LIB_REPORTER) $(BASE_ARS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iworkers/reporter $(LDFLAGS) -o $@ $^ $(LIBS)
# the reporter's API requests relayed by a test to the test API server
$(BUILD)/tests/tools/apireport_drive: tests/tools/apireport_drive.c $(LIB_REPORTER) $(BASE_ARS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iworkers/reporter $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/tests/tools/agentd-watcher-fake: tests/tools/fakewatcher.c $(LIB_WATCHER) $(BASE_ARS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iworkers/watcher $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/bench/audit_bench: bench/audit_bench.c $(LIB_AGENTD) $(BASE_ARS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/bench/ipc_bench: bench/ipc_bench.c $(BASE_ARS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# the message catalog table of docs/DESIGN.md, printed from
# include/msgschema.h; `make catalog` writes it between the doc's msgcat
# markers (tests/test_catalog.py fails when they differ)
$(BUILD)/tests/tools/msgcatdoc: tests/tools/msgcatdoc.c $(BASE_ARS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)
# (and the process table of include/proctab.h between the proctab markers)
DOCBLOCK	= awk -v f=$(2) '/<!-- $(1):end -->/ { skip = 0 } \
	    !skip { print } /<!-- $(1):begin -->/ { \
	    while ((getline l <f) > 0) print l; skip = 1 }' \
	    docs/DESIGN.md >docs/DESIGN.md.tmp && \
	    mv docs/DESIGN.md.tmp docs/DESIGN.md
catalog: $(BUILD)/tests/tools/msgcatdoc
	$(BUILD)/tests/tools/msgcatdoc >$(BUILD)/msgcat.md
	$(BUILD)/tests/tools/msgcatdoc -p >$(BUILD)/proctab.md
	$(call DOCBLOCK,msgcat,$(BUILD)/msgcat.md)
	$(call DOCBLOCK,proctab,$(BUILD)/proctab.md)
.PHONY: catalog

# the test build: identical but for the test-only hooks (MSG_TEST_HOOK)
testbuild:
	$(MAKE) BUILD=build-test EXTRA_CFLAGS=-DAGENTD_TEST_HOOKS all

unit: all
	$(PYTHON) -m pytest -q -rfEs tests/test_unit.py --build=$(BUILD)

deps:
	contrib/install-deps.sh

# the README's first command: the example static pods on busybox
run:
	contrib/run-example.sh

# the README's second command: everything, from dependencies to fuzzing
# the unit programs that run no containers, under valgrind's memcheck
VALGRIND_UNITS	= $(filter-out %_runtime %_image,$(UNIT_BINS))
valgrind: all
	@for t in $(VALGRIND_UNITS); do \
	    valgrind -q --leak-check=full \
	        --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	        $$t >$$t.valgrind.log 2>&1 || \
	        { echo "valgrind: $$t failed"; tail -40 $$t.valgrind.log; \
	          exit 1; }; \
	    echo "valgrind: $$(basename $$t) clean"; done

# (fuzzing and the memory checkers run first so that pytest's summary
# closes the output)
check: deps
	$(MAKE) all testbuild
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)
	$(MAKE) asan
	$(MAKE) valgrind
	$(PYTHON) -m pytest -v -rfEs tests/ --build=$(BUILD) --testbuild=build-test

# the README's two commands, as written, in a fresh Debian 12 minbase root
# (debootstrap, cached in build-fresh/) whose / is an overlay, as in a
# container; FRESH_FLAGS=--plain for a plain directory root
# (tests/fresh/fresh-root.sh)
check-fresh:
	tests/fresh/fresh-root.sh $(FRESH_FLAGS) check
example-fresh:
	tests/fresh/fresh-root.sh $(FRESH_FLAGS) example

asan:
	$(MAKE) BUILD=build-asan CC=clang \
	    EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -Wno-error=unused-command-line-argument" \
	    EXTRA_LDFLAGS="-fsanitize=address,undefined" all
	ASAN_OPTIONS=detect_leaks=1 $(PYTHON) -m pytest -q -rfEs tests/test_unit.py --build=build-asan

FUZZ_TARGETS	= $(patsubst tests/fuzz/%.c,build-fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
# (neither the watcher's pod sources nor the reporter's API requests: they
# need the workers' API client and a worker, which no fuzz target links)
FUZZ_SRCS	= $(IPC_SRCS) $(COMMON_SRCS) $(CONFIG_SRCS) \
		  $(filter-out workers/watcher/apisource.c \
		  workers/watcher/podsnap.c,$(WATCHER_SRCS)) workers/apihttp.c \
		  agentd/signer.c agentctl/crilog.c \
		  $(PROBE_SRCS) workers/executor/probeline.c \
		  $(filter-out workers/reporter/apinode.c \
		  workers/reporter/apipods.c workers/reporter/apisend.c,\
		  $(REPORTER_SRCS))
build-fuzz/%: tests/fuzz/%.c $(FUZZ_SRCS)
	@mkdir -p build-fuzz
	clang -g -O1 -std=gnu11 -Iinclude -D_GNU_SOURCE -DAGENTD_FUZZ \
	    -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_SRCS) $(LIBS)
fuzz: $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do n=$$(basename $$t); \
	    mkdir -p tests/fuzz/corpus/$$n build-fuzz/$$n.new; \
	    echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	    $$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	        build-fuzz/$$n.new tests/fuzz/corpus/$$n \
	        >build-fuzz/$$n.log 2>&1 || \
	        { tail -40 build-fuzz/$$n.log; exit 1; }; done
	@echo "fuzz: new inputs are in build-fuzz/*.new (merge with -merge=1)"

# every target to FUZZ_RUNS executions (10 M: the manifest oracle's false
# alarm took ~1.8 M); prints each target's count and time
fuzz-long: $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do n=$$(basename $$t); \
	    mkdir -p tests/fuzz/corpus/$$n build-fuzz/$$n.new; \
	    echo "fuzz-long: $$n for $(FUZZ_RUNS) runs"; \
	    $$t -runs=$(FUZZ_RUNS) -max_len=65536 -print_final_stats=1 \
	        build-fuzz/$$n.new tests/fuzz/corpus/$$n \
	        >build-fuzz/$$n.long.log 2>&1 || \
	        { tail -40 build-fuzz/$$n.long.log; exit 1; }; \
	    grep -E '^Done [0-9]+ runs' build-fuzz/$$n.long.log | \
	        sed "s/^/fuzz-long: $$n: /"; done
	@echo "fuzz-long: new inputs are in build-fuzz/*.new (merge with -merge=1)"

# `make install` (DESTDIR for staging, PREFIX, LIBEXECDIR, SYSCONFDIR):
# binaries, workers, the systemd unit and the man pages with this
# installation's paths, the example config (never over an existing one),
# the static pod directory and the privsep chroot.  Installing into the
# live system (empty DESTDIR) also creates the privsep user and tells a
# running systemd about the unit; with DESTDIR that is left to the package.
SBINDIR		?= $(PREFIX)/sbin
MANDIR		?= $(PREFIX)/share/man
UNITDIR		?= /lib/systemd/system
PRIVSEP_USER	?= _agentd
REPORTER_USER	?= _agentd-rep
PRIVSEP_CHROOT	?= /var/empty/agentd
MAN5		= $(wildcard docs/man/*.5)
MAN8		= $(wildcard docs/man/*.8)
# the unit and the example name /usr/local and /etc/agentd; the paths of
# this installation replace them
INSTALL_SED	= -e 's|/usr/local/libexec/agentd|$(LIBEXECDIR)|g' \
		  -e 's|/usr/local/sbin|$(SBINDIR)|g' \
		  -e 's|/etc/agentd|$(SYSCONFDIR)/agentd|g' \
		  -e 's|/var/empty/agentd|$(PRIVSEP_CHROOT)|g' \
		  -e 's|privsepUser: _agentd|privsepUser: $(PRIVSEP_USER)|' \
		  -e 's|reporterUser: _agentd-rep|reporterUser: $(REPORTER_USER)|'

install: $(BINS)
	install -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/agentd/pods
	install -m 0755 $(BUILD)/agentd $(BUILD)/agentctl $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(BUILD)/agentd-watcher $(BUILD)/agentd-executor \
	    $(BUILD)/agentd-reporter $(BUILD)/agentd-netparse \
	    $(BUILD)/agentd-pause $(BUILD)/agentd-probe \
	    $(DESTDIR)$(LIBEXECDIR)/
	sed $(INSTALL_SED) contrib/systemd/agentd.service \
	    >$(DESTDIR)$(UNITDIR)/agentd.service.tmp
	chmod 0644 $(DESTDIR)$(UNITDIR)/agentd.service.tmp
	mv -f $(DESTDIR)$(UNITDIR)/agentd.service.tmp \
	    $(DESTDIR)$(UNITDIR)/agentd.service
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	@# an administrator's configuration is never overwritten
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/agentd/agentd.yaml ]; then \
	    echo "keeping $(DESTDIR)$(SYSCONFDIR)/agentd/agentd.yaml"; \
	else \
	    echo "installing $(DESTDIR)$(SYSCONFDIR)/agentd/agentd.yaml"; \
	    sed $(INSTALL_SED) contrib/agentd.yaml.example \
	        >$(DESTDIR)$(SYSCONFDIR)/agentd/agentd.yaml.tmp && \
	    chmod 0644 $(DESTDIR)$(SYSCONFDIR)/agentd/agentd.yaml.tmp && \
	    mv $(DESTDIR)$(SYSCONFDIR)/agentd/agentd.yaml.tmp \
	        $(DESTDIR)$(SYSCONFDIR)/agentd/agentd.yaml; \
	fi
	@# the workers' chroot: root-owned, 0755, and empty (they refuse
	@# anything else)
	install -d -m 0755 $(DESTDIR)$(PRIVSEP_CHROOT)
	@if [ "$$(id -u)" = 0 ]; then \
	    chown root:root $(DESTDIR)$(PRIVSEP_CHROOT); fi
	@if [ -n "$$(ls -A $(DESTDIR)$(PRIVSEP_CHROOT))" ]; then \
	    echo "$(DESTDIR)$(PRIVSEP_CHROOT) is not empty; the workers" \
	        "refuse to chroot there: empty it" >&2; exit 1; fi
	@# one user each for the watcher and the reporter
	@for u in $(PRIVSEP_USER) $(REPORTER_USER); do \
	    if [ -z "$(DESTDIR)" ] && ! getent passwd $$u >/dev/null; then \
	        echo "creating the privsep user $$u"; \
	        useradd -r -s /usr/sbin/nologin -d /nonexistent -M $$u || \
	            exit 1; \
	    fi; \
	done
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	    systemctl daemon-reload; fi

# the configuration, the state, the logs and above all the audit log stay;
# so does the privsep user (files may still carry its uid)
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/agentd $(DESTDIR)$(SBINDIR)/agentctl
	rm -f $(DESTDIR)$(LIBEXECDIR)/agentd-watcher \
	    $(DESTDIR)$(LIBEXECDIR)/agentd-executor \
	    $(DESTDIR)$(LIBEXECDIR)/agentd-reporter \
	    $(DESTDIR)$(LIBEXECDIR)/agentd-netparse \
	    $(DESTDIR)$(LIBEXECDIR)/agentd-pause \
	    $(DESTDIR)$(LIBEXECDIR)/agentd-probe
	-rmdir $(DESTDIR)$(LIBEXECDIR)
	rm -f $(DESTDIR)$(UNITDIR)/agentd.service
	rm -f $(patsubst docs/man/%,$(DESTDIR)$(MANDIR)/man5/%,$(MAN5)) \
	    $(patsubst docs/man/%,$(DESTDIR)$(MANDIR)/man8/%,$(MAN8))
	-rmdir $(DESTDIR)$(PRIVSEP_CHROOT)
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	    systemctl daemon-reload; fi
	@echo "kept: $(DESTDIR)$(SYSCONFDIR)/agentd, /var/lib/agentd," \
	    "/var/log/agentd (the audit log), /var/log/pods and the user" \
	    "$(PRIVSEP_USER)"

clean:
	rm -rf build build-test build-asan build-fuzz

.PHONY: all check unit asan fuzz fuzz-long testbuild install uninstall clean deps run valgrind
.PHONY: check-fresh example-fresh
.SECONDARY:

# the benchmarks, as root: IPC, audit log, then pods against runc and podman
# (bench/README.md says what each prints)
bench: all $(BUILD)/bench/ipc_bench $(BUILD)/bench/audit_bench
	$(BUILD)/bench/ipc_bench
	$(BUILD)/bench/audit_bench
	/usr/bin/python3 bench/pods_bench.py --build $(BUILD)
	/usr/bin/python3 bench/api_bench.py --build $(BUILD)

.PHONY: bench

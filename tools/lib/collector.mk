# tools/lib/collector.mk - how a front end (daxtop, daxcollect) builds against
# the collector library.  Include it from tools/<tool>/Makefile:
#
#	include ../lib/collector.mk
#	$(BINDIR)/mytool: mytool.o $(TDAX_COLLECTOR_LIB)
#		$(CC) $(LDFLAGS) -o $@ $^ $(TDAX_COLLECTOR_LDLIBS)
#	CFLAGS += $(TDAX_COLLECTOR_CFLAGS)
#
# $(TDAX_COLLECTOR_LIB) is built by `make -C tools lib` (tools/Makefile builds
# it before the front ends).  The BPF skeleton is embedded in the library.

TDAX_TOP		?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/../..)
TDAX_BUILD		?= $(TDAX_TOP)/build
TDAX_COLLECTOR_CFLAGS	:= -I$(TDAX_TOP)/tools/lib -I$(TDAX_TOP)/include
TDAX_COLLECTOR_LIB	:= $(TDAX_BUILD)/lib/libtdax_collector.a
TDAX_COLLECTOR_LDLIBS	:= -lbpf -lelf -lz -lm

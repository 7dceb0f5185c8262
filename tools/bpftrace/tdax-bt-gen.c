// SPDX-License-Identifier: GPL-2.0-only
/*
 * tdax-bt-gen - make the tdax bpftrace scripts standalone (build step).
 *
 * Reads a script on stdin, writes it on stdout with
 *   #include "tdax_abi.h"   replaced by #define lines for the ABI's codes
 *                           (TDAX_FR_*, TDAX_FO_*, TDAX_MR_*, TDAX_SIZE_*),
 *   // tdax:names          (inside BEGIN) replaced by statements filling the
 *                           name maps @fault_reason, @fault_outcome,
 *                           @mmap_reason and @size,
 *   // tdax:clear          (inside END) replaced by clear() of those maps,
 * all taken from include/tdax_abi.h: bpftrace (0.17) expands object-like
 * macros but not the header's X-macro lists, so the names cannot come from
 * an #include at run time.
 */
#include <stdio.h>
#include <string.h>
#include "tdax_abi.h"

static void defines(void)
{
	printf("// generated from include/tdax_abi.h by tdax-bt-gen\n");
#define D(pfx, name, val, str) printf("#define " #pfx #name " %d\n", val);
#define FR(name, val, str) D(TDAX_FR_, name, val, str)
#define FO(name, val, str) D(TDAX_FO_, name, val, str)
#define MR(name, val, str) D(TDAX_MR_, name, val, str)
	TDAX_FAULT_REASONS(FR)
	TDAX_FAULT_OUTCOMES(FO)
	TDAX_MMAP_REASONS(MR)
	printf("#define TDAX_SIZE_4K %llu\n#define TDAX_SIZE_2M %llu\n#define TDAX_SIZE_1G %llu\n",
	       (unsigned long long)TDAX_SIZE_4K, (unsigned long long)TDAX_SIZE_2M,
	       (unsigned long long)TDAX_SIZE_1G);
}

static void names(const char *indent)
{
#define N(map, name, val, str) printf("%s@" map "[%d] = \"%s\";\n", indent, val, str);
#define NFR(name, val, str) N("fault_reason", name, val, str)
#define NFO(name, val, str) N("fault_outcome", name, val, str)
#define NMR(name, val, str) N("mmap_reason", name, val, str)
	TDAX_FAULT_REASONS(NFR)
	TDAX_FAULT_OUTCOMES(NFO)
	TDAX_MMAP_REASONS(NMR)
	printf("%s@size[%llu] = \"4K\"; @size[%llu] = \"2M\"; @size[%llu] = \"1G\";\n", indent,
	       (unsigned long long)TDAX_SIZE_4K, (unsigned long long)TDAX_SIZE_2M,
	       (unsigned long long)TDAX_SIZE_1G);
}

int main(void)
{
	char line[4096];

	while (fgets(line, sizeof(line), stdin)) {
		const char *p = line + strspn(line, " \t");
		char indent[64];

		snprintf(indent, sizeof(indent), "%.*s", (int)(p - line), line);
		if (!strcmp(line, "#include \"tdax_abi.h\"\n"))
			defines();
		else if (!strcmp(p, "// tdax:names\n"))
			names(indent);
		else if (!strcmp(p, "// tdax:clear\n"))
			printf("%sclear(@fault_reason); clear(@fault_outcome); clear(@mmap_reason); clear(@size);\n",
			       indent);
		else
			fputs(line, stdout);
	}
	return ferror(stdout) ? 1 : 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading USDT probe arguments from BPF C programs attached with bpfkit's attachUsdt().
 *
 * bpfkit decodes each probe location's argument spec from the binary's .note.stapsdt (for
 * example "-4@%edi 8@-16(%rbp)") and stores it in the bpfkit_usdt_specs map at the index it
 * passes to the kernel as the uprobe's BPF cookie. The functions below find that spec through
 * the cookie and fetch argument N from the saved registers (and user memory, for arguments
 * the compiler left on the stack).
 *
 * Usage:
 *   #include <bpfkit/usdt.bpf.h>
 *   SEC("usdt") int on_probe(struct pt_regs *ctx) {
 *       long v;
 *       if (bpfkit_usdt_arg(ctx, 0, &v) == 0) ...
 *   }
 * and from Node:
 *   attachUsdt(coll.programs.on_probe, binary, provider, name, { specs: coll.maps.bpfkit_usdt_specs })
 */
#ifndef __BPFKIT_USDT_BPF_H__
#define __BPFKIT_USDT_BPF_H__

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifndef BPFKIT_USDT_MAX_SPECS
#define BPFKIT_USDT_MAX_SPECS 256
#endif
#define BPFKIT_USDT_MAX_ARGS 12

enum bpfkit_usdt_arg_type {
	BPFKIT_USDT_ARG_CONST,
	BPFKIT_USDT_ARG_REG,
	BPFKIT_USDT_ARG_REG_DEREF,
};

/* Must match encodeUsdtSpec() in src/symbols/usdt.ts. */
struct bpfkit_usdt_arg_spec {
	__u64 val_off;                  /* the constant, or the displacement to dereference at */
	enum bpfkit_usdt_arg_type arg_type;
	short reg_off;                  /* offset of the register in struct pt_regs */
	char arg_signed;
	char arg_bitshift;              /* 64 - 8 * size: narrows and sign-extends the value */
};

struct bpfkit_usdt_spec {
	struct bpfkit_usdt_arg_spec args[BPFKIT_USDT_MAX_ARGS];
	__u64 usdt_cookie;
	short arg_cnt;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BPFKIT_USDT_MAX_SPECS);
	__type(key, int);
	__type(value, struct bpfkit_usdt_spec);
} bpfkit_usdt_specs SEC(".maps") __weak;

struct pt_regs;

static __always_inline struct bpfkit_usdt_spec *bpfkit_usdt_spec_of(struct pt_regs *ctx)
{
	int id = (int)bpf_get_attach_cookie(ctx);

	return bpf_map_lookup_elem(&bpfkit_usdt_specs, &id);
}

/* The number of arguments of the probe that fired, or -ESRCH when its spec is unknown. */
static __always_inline int bpfkit_usdt_arg_cnt(struct pt_regs *ctx)
{
	struct bpfkit_usdt_spec *spec = bpfkit_usdt_spec_of(ctx);

	return spec ? spec->arg_cnt : -3 /* ESRCH */;
}

/* The cookie given to attachUsdt(), for telling probes apart in one program. */
static __always_inline long bpfkit_usdt_cookie(struct pt_regs *ctx)
{
	struct bpfkit_usdt_spec *spec = bpfkit_usdt_spec_of(ctx);

	return spec ? (long)spec->usdt_cookie : 0;
}

/* Fetches argument n (0-based) into *res; 0 on success, a negative error otherwise. */
static __always_inline int bpfkit_usdt_arg(struct pt_regs *ctx, __u64 n, long *res)
{
	struct bpfkit_usdt_spec *spec = bpfkit_usdt_spec_of(ctx);
	struct bpfkit_usdt_arg_spec *arg;
	unsigned long val;
	int err;

	*res = 0;
	if (!spec)
		return -3; /* ESRCH */
	if (n >= BPFKIT_USDT_MAX_ARGS || n >= (__u64)spec->arg_cnt)
		return -2; /* ENOENT */
	arg = &spec->args[n];
	switch (arg->arg_type) {
	case BPFKIT_USDT_ARG_CONST:
		val = arg->val_off;
		break;
	case BPFKIT_USDT_ARG_REG:
		err = bpf_probe_read_kernel(&val, sizeof(val), (void *)ctx + arg->reg_off);
		if (err)
			return err;
		break;
	case BPFKIT_USDT_ARG_REG_DEREF:
		err = bpf_probe_read_kernel(&val, sizeof(val), (void *)ctx + arg->reg_off);
		if (err)
			return err;
		err = bpf_probe_read_user(&val, sizeof(val), (void *)val + arg->val_off);
		if (err)
			return err;
		break;
	default:
		return -22; /* EINVAL */
	}
	val <<= arg->arg_bitshift;
	if (arg->arg_signed)
		val = ((long)val) >> arg->arg_bitshift;
	else
		val = val >> arg->arg_bitshift;
	*res = (long)val;
	return 0;
}

#endif /* __BPFKIT_USDT_BPF_H__ */

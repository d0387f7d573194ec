/*
 * mip.h - the exact solver's model: a whole stack as a mixed-integer
 * programme over candidate locations, solved to optimality with COIN-OR CBC.
 *
 * The model knows nothing of the module ABI: the glue (solver_exact_plugin.c)
 * turns a cycle into an exact_problem (candidate locations per unit, already
 * filtered by the core's check), and this file builds and solves the MIP.
 *
 * Locations are hosts and storage pools, numbered 0..n_locs-1. Each has a
 * rack and a cluster index; a pool outside every rack (or cluster) gets a
 * rack (cluster) of its own with unlimited uplink, so that the distance
 * between two locations is always
 *   d = [different location] + [different rack] + [different cluster]
 * which is 0 on one host, 1 within a rack, 2 within a cluster, 3 beyond:
 * the placement contract's distance.
 *
 * Objective, lexicographic through weights:
 *   1. bandwidth cost: sum over links of 2 x mbps x d (the contract's);
 *   2. distance of attachments (links without bandwidth) summed;
 *   3. hosts used.
 */
#ifndef VALET_SOLVER_EXACT_MIP_H
#define VALET_SOLVER_EXACT_MIP_H

#include <stdbool.h>
#include <stdint.h>

#include <valet/errors.h>
#include <valet/model.h>

typedef enum exact_gtype {
	EXACT_AFFINITY = 0,
	EXACT_DIVERSITY = 1,
	EXACT_EXCLUSIVITY = 2,
} exact_gtype_t;

typedef struct exact_loc {
	uint32_t rack;    /* index below exact_problem.n_racks */
	uint32_t cluster; /* index below exact_problem.n_clusters */
	bool pool;        /* a storage pool; a host otherwise */
	/*
	 * A pool outside every rack (cluster) has a rack (cluster) of its own
	 * for distances, but no group of that level sees it there: as the
	 * policies read it, the group then looks one level up.
	 */
	bool own_rack;
	bool own_cluster;
	int64_t free[VLT_RES_COUNT]; /* pools: free[VLT_RES_DISK_GB] only */
	int64_t nic_free_mbps;       /* VLT_UNLIMITED: no limit; pools have none */
	/*
	 * Symmetry class: hosts of one rack with the same nonzero class are
	 * interchangeable, so the model may prefer the lower-numbered ones.
	 * 0: not known to be interchangeable with anything.
	 */
	uint32_t sym;
} exact_loc_t;

typedef struct exact_unit {
	bool server;                   /* a server (on a host); a volume (on a pool) otherwise */
	int64_t demand[VLT_RES_COUNT]; /* zero for a unit whose capacity is already held */
	const uint32_t *cand;          /* candidate locations, ascending, no duplicates */
	uint32_t n_cand;
} exact_unit_t;

typedef struct exact_link {
	uint32_t a, b;   /* unit indices */
	double mbps;     /* bandwidth reserved; 0 for an attachment */
	bool attachment; /* weighed as "keep close", below any bandwidth */
} exact_link_t;

/*
 * A group as the policies enforce it. A volume counts at its pool's rack and
 * cluster, never at host level (leave volumes out of host-level groups).
 * Exclusivity: a domain that holds a member holds no other unit of the stack.
 */
typedef struct exact_group {
	exact_gtype_t type;
	vlt_level_t level;       /* host, rack or cluster */
	const uint32_t *members; /* unit indices */
	uint32_t n_members;
	/*
	 * Diversity: per member, its branch (the child group holding it, or
	 * the member itself): the domains of different branches are disjoint.
	 * NULL: every member is its own branch.
	 */
	const uint32_t *branch;
} exact_group_t;

typedef struct exact_problem {
	const exact_loc_t *locs;
	uint32_t n_locs;
	const int64_t *rack_uplink_free_mbps; /* n_racks entries, VLT_UNLIMITED allowed */
	uint32_t n_racks;
	const int64_t *cluster_uplink_free_mbps;
	uint32_t n_clusters;
	const exact_unit_t *units;
	uint32_t n_units;
	const exact_link_t *links;
	uint32_t n_links;
	const exact_group_t *groups;
	uint32_t n_groups;
} exact_problem_t;

/* No-good cuts: each forbids one combination of (unit, location) pairs. */
typedef struct exact_cuts exact_cuts_t;

/* OUT: new empty set, owned by the caller (exact_cuts_free). NULL on ENOMEM. */
exact_cuts_t *exact_cuts_new(void);
void exact_cuts_free(exact_cuts_t *c); /* accepts NULL */
/* Forbid that units[i] are on locs[i] for every i at once. Copies. RET 0, VLT_ENOMEM. */
int exact_cuts_add(exact_cuts_t *c, const uint32_t *units, const uint32_t *locs, uint32_t n);
uint32_t exact_cuts_count(const exact_cuts_t *c);

typedef enum exact_status {
	EXACT_OPTIMAL = 0,    /* proven optimal */
	EXACT_FEASIBLE = 1,   /* a solution, optimality not proven within the time limit */
	EXACT_INFEASIBLE = 2, /* proven infeasible */
	EXACT_NO_SOLUTION = 3 /* the time limit passed before any solution */
} exact_status_t;

typedef struct exact_result {
	exact_status_t status;
	uint32_t *loc;         /* per unit, the location; caller's array of n_units */
	double bandwidth_cost; /* sum of 2 x mbps x d over links, of the solution */
	double objective;      /* the model's weighted objective, scaled */
	double bound;          /* CBC's best bound on it */
	double gap;            /* (objective - bound) / objective; 0 when proven optimal */
	int nodes;             /* branch-and-bound nodes */
	int n_cols, n_rows;    /* size of the model */
} exact_result_t;

/*
 * exact_mip_solve - build the MIP of p (with the cuts, which may be NULL)
 * and solve it with CBC within time_limit_s seconds. CBC's output is
 * silenced. Calls into CBC are serialised.
 * OUT res - res->loc must point at n_units entries; filled when the status
 *           is EXACT_OPTIMAL or EXACT_FEASIBLE.
 * RET 0 (see res->status), VLT_EINVAL for an inconsistent problem,
 *     VLT_ENOMEM, VLT_EINTERNAL when CBC gave up (numerical trouble).
 */
int exact_mip_solve(const exact_problem_t *p, const exact_cuts_t *cuts, double time_limit_s,
		    exact_result_t *res, vlt_err_t *err);

/* Levels crossed between two locations: 0, 1, 2 or 3. */
int exact_distance(const exact_problem_t *p, uint32_t la, uint32_t lb);
/* The contract's bandwidth cost of a full assignment (loc per unit). */
double exact_bandwidth_cost(const exact_problem_t *p, const uint32_t *loc);

#endif /* VALET_SOLVER_EXACT_MIP_H */

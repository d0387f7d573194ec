/*
 * ledger.h - what plans hold, kept as the occupancy arrays that cycles read
 * and write: free capacity per host (and its maximum and sum per rack and
 * cluster), free bandwidth per NIC and uplink, servers resident per domain,
 * where each named group's members are, and per policy and level how many
 * residents belong to that policy's groups.
 *
 * One cycle at a time works on a ledger (the engine serialises): a cycle
 * applies its assignments to these arrays directly and takes them back if
 * it is not committed. A committed plan's holds are recorded so that
 * releasing the plan gives everything back.
 */
#ifndef VALET_CORE_LEDGER_H
#define VALET_CORE_LEDGER_H

#include <stdbool.h>

#include <valet/errors.h>
#include <valet/model.h>

#include "strmap.h"
#include "timeline.h"

/* A small hash map from domain index to member count. */
typedef struct vlt_countmap {
	uint32_t *keys; /* VLT_NONE: empty slot */
	uint32_t *vals;
	uint32_t cap;   /* power of two, or 0 */
	uint32_t used;
} vlt_countmap_t;

/* Where one group's members are, per level; level VLT_LEVEL_DC is the total. */
typedef struct vlt_occ {
	char *key;                          /* the group's key; NULL for anonymous */
	vlt_countmap_t at[VLT_LEVEL_DC];    /* host, rack, cluster */
	uint32_t total;
	vlt_countmap_t vol_at[VLT_LEVEL_DC]; /* the volumes among them (rack, cluster) */
	uint32_t vol_total;
	vlt_countmap_t hosts_at[VLT_LEVEL_DC]; /* hosts holding a server (rack, cluster) */
} vlt_occ_t;

/* One held unit of a committed plan, enough to give it back. */
typedef struct vlt_hold {
	vlt_unit_kind_t kind;
	uint32_t loc;
	int64_t demand[VLT_RES_COUNT];
	vlt_class_demand_t *classes; /* owned: the extra classes a server asks */
	uint32_t n_classes;
	vlt_occ_t **occs; /* named groups it counts in */
	uint32_t n_occs;
	uint8_t *policy_levels; /* pairs (policy, level) it counts in */
	uint32_t n_policy_levels;
} vlt_hold_t;

typedef struct vlt_hold_link {
	uint32_t a, b; /* indices in the plan's holds */
	double mbps;
} vlt_hold_link_t;

typedef struct vlt_plan_hold {
	char *plan_id;
	/*
	 * A timed plan (its request had a start or an end): its servers' vcpus,
	 * ram_mb, disk_gb and extra classes are held in their hosts' timelines
	 * over interval; everything else (bandwidth, volumes, group counts) is
	 * held as for any plan, whatever the interval. false: interval unused.
	 */
	bool timed;
	vlt_interval_t interval;
	vlt_hold_t *holds;
	uint32_t n_holds;
	vlt_hold_link_t *links;
	uint32_t n_links;
} vlt_plan_hold_t;

typedef struct vlt_ledger {
	const vlt_dc_t *dc;
	uint32_t n_policies;

	int64_t (*host_free)[VLT_RES_COUNT];
	int64_t (*rack_max_free)[VLT_RES_COUNT];
	int64_t (*cluster_max_free)[VLT_RES_COUNT];
	int64_t (*rack_free)[VLT_RES_COUNT];
	int64_t (*cluster_free)[VLT_RES_COUNT];
	int64_t *host_nic_free;
	int64_t *rack_uplink_free;
	int64_t *cluster_uplink_free;
	int64_t *pool_free_gb;
	int64_t *class_free; /* [host * dc->n_classes + class]; VLT_CLASS_ABSENT where none */
	/* [rack or cluster * dc->n_classes + class]: the most any enabled host there has
	 * free of the class; VLT_CLASS_ABSENT when none has the class */
	int64_t *rack_class_max;
	int64_t *cluster_class_max;
	uint32_t *residents[VLT_LEVEL_DC]; /* per level, per domain */
	uint32_t residents_total;
	uint32_t **policy_res;             /* [policy * VLT_LEVEL_DC + level][domain] */
	uint32_t *policy_res_total;        /* [policy] */
	uint64_t *rack_az_mask;            /* zones present among a rack's enabled hosts */
	uint64_t *cluster_az_mask;

	/*
	 * Timed holds (docs/reservations.md). Per host, the timeline of its
	 * timed holds (owned; NULL where it has none), and the peak of them
	 * over view that host_free leaves out: host_free is what the inventory
	 * has less every ordinary hold and that peak. view is always (the
	 * open-ended view, what an ordinary plan may use) except while a timed
	 * placement solves (vlt__ledger_project).
	 */
	vlt_timeline_t **timeline;
	int64_t (*timed_shown)[VLT_RES_COUNT];
	/*
	 * The same for the extra classes, per [host * dc->n_classes + class]:
	 * the timeline of the class's timed holds (owned; NULL where none; its
	 * amounts in the vcpus slot, only on hosts with a timeline above), and
	 * the peak of it over view that class_free leaves out.
	 */
	vlt_timeline_t **class_timeline;
	int64_t *class_shown;
	uint32_t n_timed_hosts; /* hosts with a timeline */
	vlt_interval_t view;

	vlt_strmap_t occs;  /* named groups: key -> vlt_occ_t (owned) */
	vlt_strmap_t plans; /* committed plans: id -> vlt_plan_hold_t (owned) */
} vlt_ledger_t;

/* OUT: new, owned by the caller. Borrows dc for its whole life. */
int vlt__ledger_new(vlt_ledger_t **l, const vlt_dc_t *dc, uint32_t n_policies, vlt_err_t *err);
void vlt__ledger_free(vlt_ledger_t *l);
/* Release everything plan_id holds. RET 0 or VLT_ENOENT. */
int vlt__ledger_release(vlt_ledger_t *l, const char *plan_id);
/*
 * Take a committed plan's holds out of the ledger but keep them, so that
 * they can be put back (vlt__ledger_attach) or dropped (vlt__plan_hold_free).
 * RET the plan's holds, owned by the caller; NULL for an unknown plan.
 */
vlt_plan_hold_t *vlt__ledger_detach(vlt_ledger_t *l, const char *plan_id);
/*
 * Put detached holds back (takes ownership of ph). RET 0, or VLT_ENOMEM
 * when they cannot be recorded: then they are given back and freed.
 */
int vlt__ledger_attach(vlt_ledger_t *l, vlt_plan_hold_t *ph);
bool vlt__ledger_has_plan(const vlt_ledger_t *l, const char *plan_id);

/* The named group's occupancy; created empty when absent (NULL on ENOMEM). */
vlt_occ_t *vlt__ledger_occ(vlt_ledger_t *l, const char *key);
vlt_occ_t *vlt__occ_new(const char *key);
void vlt__occ_free(vlt_occ_t *o);
uint32_t vlt__occ_count(const vlt_occ_t *o, vlt_level_t lvl, uint32_t dom);
/* The servers among them. */
uint32_t vlt__occ_servers(const vlt_occ_t *o, vlt_level_t lvl, uint32_t dom);
/* How many hosts of domain dom (a host, rack or cluster) hold a server of them; 0 above. */
uint32_t vlt__occ_hosts(const vlt_occ_t *o, vlt_level_t lvl, uint32_t dom);
/* Count a member in (delta +1) or out (-1) at host h, or at pool p for volumes. */
int vlt__occ_add(vlt_occ_t *o, const vlt_dc_t *dc, vlt_unit_kind_t kind, uint32_t loc, int delta);

/*
 * Apply or take back one unit's hold (capacity, residents, policy counts,
 * group occupancy). sign is +1 to hold, -1 to give back.
 */
void vlt__ledger_apply(vlt_ledger_t *l, const vlt_hold_t *h, int sign);
/* Apply or take back the bandwidth of a link between two locations. */
void vlt__ledger_apply_link(vlt_ledger_t *l, vlt_unit_kind_t ka, uint32_t a, vlt_unit_kind_t kb,
			    uint32_t b, double mbps, int sign);
/* Levels crossed between two locations: 0 same host, 1 rack, 2 cluster, 3 beyond. */
int vlt__ledger_distance(const vlt_dc_t *dc, vlt_unit_kind_t ka, uint32_t a, vlt_unit_kind_t kb,
			 uint32_t b);
/*
 * Show the free capacity over iv instead (a timed placement's view): on
 * each host with timed holds, host_free leaves out their peak over iv, not
 * over all time. Costs nothing when no host has timed holds. Projecting
 * to always (vlt__interval_always) gives the open-ended view back.
 */
void vlt__ledger_project(vlt_ledger_t *l, const vlt_interval_t *iv);
/*
 * Move a recorded timed plan's server capacity and classes, applied as for an
 * ordinary hold (a cycle's assignments in the view of its interval), into
 * its hosts' timelines. RET 0, or VLT_ENOMEM with nothing moved.
 */
int vlt__ledger_time_holds(vlt_ledger_t *l, vlt_plan_hold_t *ph);
/*
 * Host h's free capacity over iv, what a timed placement there would
 * see, into free_ (per resource); RET whether any timed hold is on h at
 * some time of iv. Ordinary holds count at all times.
 */
bool vlt__ledger_free_over(const vlt_ledger_t *l, uint32_t h, const vlt_interval_t *iv,
			   int64_t free_[VLT_RES_COUNT]);

/*
 * Record a committed plan whose holds are applied already: takes ownership
 * of ph. RET 0, or VLT_ENOMEM (ph not recorded, still the caller's).
 */
int vlt__ledger_add_plan(vlt_ledger_t *l, vlt_plan_hold_t *ph);
void vlt__plan_hold_free(vlt_plan_hold_t *ph);

#endif /* VALET_CORE_LEDGER_H */

/*
 * ledger.c - occupancy arrays and the holds of committed plans.
 */
#include <stdlib.h>
#include <string.h>

#include "dc.h"
#include "hash.h"
#include "ledger.h"

/* ---------------------------------------------------------------- count map */

static uint32_t hash_u32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

static uint32_t *countmap_slot(const vlt_countmap_t *m, uint32_t key)
{
	uint32_t mask = m->cap - 1;

	for (uint32_t i = hash_u32(key) & mask;; i = (i + 1) & mask) {
		if (m->keys[i] == key || m->keys[i] == VLT_NONE)
			return &m->keys[i];
	}
}

static uint32_t countmap_get(const vlt_countmap_t *m, uint32_t key)
{
	if (m->cap == 0)
		return 0;
	uint32_t *k = countmap_slot(m, key);
	return *k == key ? m->vals[k - m->keys] : 0;
}

static int countmap_grow(vlt_countmap_t *m)
{
	vlt_countmap_t bigger = {.cap = m->cap ? m->cap * 2 : 8};

	bigger.keys = malloc(bigger.cap * sizeof(*bigger.keys));
	bigger.vals = calloc(bigger.cap, sizeof(*bigger.vals));
	if (bigger.keys == NULL || bigger.vals == NULL) {
		free(bigger.keys);
		free(bigger.vals);
		return VLT_ENOMEM;
	}
	memset(bigger.keys, 0xff, bigger.cap * sizeof(*bigger.keys));
	for (uint32_t i = 0; i < m->cap; i++) {
		if (m->keys[i] == VLT_NONE || m->vals[i] == 0)
			continue;
		uint32_t *k = countmap_slot(&bigger, m->keys[i]);
		*k = m->keys[i];
		bigger.vals[k - bigger.keys] = m->vals[i];
		bigger.used++;
	}
	free(m->keys);
	free(m->vals);
	*m = bigger;
	return VLT_OK;
}

/*
 * Entries that fall to zero keep their slot (open addressing cannot
 * simply empty it); a growth drops them.
 */
static int countmap_add(vlt_countmap_t *m, uint32_t key, int delta)
{
	if ((m->used + 1) * 4 > m->cap * 3) {
		int rc = countmap_grow(m);
		if (rc < 0)
			return rc;
	}
	uint32_t *k = countmap_slot(m, key);
	uint32_t *v = &m->vals[k - m->keys];
	if (*k == VLT_NONE) {
		*k = key;
		m->used++;
	}
	*v = (uint32_t)((int64_t)*v + delta);
	return VLT_OK;
}

static void countmap_free(vlt_countmap_t *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------- group occupancy */

vlt_occ_t *vlt__occ_new(const char *key)
{
	vlt_occ_t *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	if (key != NULL && (o->key = strdup(key)) == NULL) {
		free(o);
		return NULL;
	}
	return o;
}

void vlt__occ_free(vlt_occ_t *o)
{
	if (o == NULL)
		return;
	for (int l = 0; l < VLT_LEVEL_DC; l++) {
		countmap_free(&o->at[l]);
		countmap_free(&o->vol_at[l]);
		countmap_free(&o->hosts_at[l]);
	}
	free(o->key);
	free(o);
}

uint32_t vlt__occ_count(const vlt_occ_t *o, vlt_level_t lvl, uint32_t dom)
{
	if (o == NULL)
		return 0;
	if (lvl >= VLT_LEVEL_DC)
		return o->total;
	return countmap_get(&o->at[lvl], dom);
}

uint32_t vlt__occ_servers(const vlt_occ_t *o, vlt_level_t lvl, uint32_t dom)
{
	if (o == NULL)
		return 0;
	if (lvl >= VLT_LEVEL_DC)
		return o->total - o->vol_total;
	return countmap_get(&o->at[lvl], dom) - countmap_get(&o->vol_at[lvl], dom);
}

uint32_t vlt__occ_hosts(const vlt_occ_t *o, vlt_level_t lvl, uint32_t dom)
{
	if (o == NULL || lvl >= VLT_LEVEL_DC)
		return 0;
	if (lvl == VLT_LEVEL_HOST)
		return countmap_get(&o->at[VLT_LEVEL_HOST], dom) > 0;
	return countmap_get(&o->hosts_at[lvl], dom);
}

/* Host h's rack and cluster gain (delta +1) or lose (-1) a host holding a member. */
static int occ_host_turned(vlt_occ_t *o, const vlt_dc_t *dc, uint32_t h, int delta)
{
	int rc = countmap_add(&o->hosts_at[VLT_LEVEL_RACK], dc->hosts[h].rack, delta);

	if (rc == VLT_OK)
		rc = countmap_add(&o->hosts_at[VLT_LEVEL_CLUSTER], dc->hosts[h].cluster, delta);
	return rc;
}

/* A volume counts at rack and cluster level through its pool, never at host level. */
int vlt__occ_add(vlt_occ_t *o, const vlt_dc_t *dc, vlt_unit_kind_t kind, uint32_t loc, int delta)
{
	uint32_t dom[VLT_LEVEL_DC];

	if (kind == VLT_UNIT_SERVER) {
		uint32_t before = countmap_get(&o->at[VLT_LEVEL_HOST], loc);
		uint32_t after = (uint32_t)((int64_t)before + delta);

		if ((before == 0) != (after == 0)) {
			int rc = occ_host_turned(o, dc, loc, after > 0 ? 1 : -1);
			if (rc < 0)
				return rc;
		}
	}

	if (kind == VLT_UNIT_SERVER) {
		dom[VLT_LEVEL_HOST] = loc;
		dom[VLT_LEVEL_RACK] = dc->hosts[loc].rack;
		dom[VLT_LEVEL_CLUSTER] = dc->hosts[loc].cluster;
	} else {
		dom[VLT_LEVEL_HOST] = VLT_NONE;
		dom[VLT_LEVEL_RACK] = dc->pools[loc].rack;
		dom[VLT_LEVEL_CLUSTER] = dc->pools[loc].cluster;
	}
	for (int l = 0; l < VLT_LEVEL_DC; l++) {
		if (dom[l] == VLT_NONE)
			continue;
		int rc = countmap_add(&o->at[l], dom[l], delta);
		if (rc == VLT_OK && kind == VLT_UNIT_VOLUME)
			rc = countmap_add(&o->vol_at[l], dom[l], delta);
		if (rc < 0)
			return rc;
	}
	o->total = (uint32_t)((int64_t)o->total + delta);
	if (kind == VLT_UNIT_VOLUME)
		o->vol_total = (uint32_t)((int64_t)o->vol_total + delta);
	return VLT_OK;
}

vlt_occ_t *vlt__ledger_occ(vlt_ledger_t *l, const char *key)
{
	vlt_occ_t *o = vlt__strmap_get(&l->occs, key);

	if (o != NULL)
		return o;
	o = vlt__occ_new(key);
	if (o != NULL && vlt__strmap_put(&l->occs, key, o) < 0) {
		vlt__occ_free(o);
		return NULL;
	}
	return o;
}

/* ---------------------------------------------------------------- capacity */

static void recompute_rack_max(vlt_ledger_t *l, uint32_t r, int res)
{
	const vlt_domain_t *rk = &l->dc->racks[r];
	int64_t best = -1;

	for (uint32_t h = rk->first_host; h < rk->first_host + rk->n_hosts; h++)
		if (l->dc->hosts[h].enabled && l->host_free[h][res] > best)
			best = l->host_free[h][res];
	l->rack_max_free[r][res] = best;
}

static void recompute_cluster_max(vlt_ledger_t *l, uint32_t c, int res)
{
	const vlt_domain_t *cl = &l->dc->clusters[c];
	int64_t best = -1;

	for (uint32_t r = cl->first_rack; r < cl->first_rack + cl->n_racks; r++)
		if (l->rack_max_free[r][res] > best)
			best = l->rack_max_free[r][res];
	l->cluster_max_free[c][res] = best;
}

/*
 * Change a host's free capacity by delta and keep the per-rack and
 * per-cluster maxima and sums right: a decrease only matters when the host
 * held the maximum; an increase can only raise it.
 */
static void host_free_add(vlt_ledger_t *l, uint32_t h, const int64_t delta[VLT_RES_COUNT])
{
	const vlt_host_t *host = &l->dc->hosts[h];

	for (int r = 0; r < VLT_RES_COUNT; r++) {
		if (delta[r] == 0)
			continue;
		int64_t old = l->host_free[h][r];
		l->host_free[h][r] += delta[r];
		if (!host->enabled)
			continue;
		l->rack_free[host->rack][r] += delta[r];
		l->cluster_free[host->cluster][r] += delta[r];
		int64_t rmax = l->rack_max_free[host->rack][r];
		if (delta[r] > 0 && l->host_free[h][r] > rmax) {
			l->rack_max_free[host->rack][r] = l->host_free[h][r];
			if (l->host_free[h][r] > l->cluster_max_free[host->cluster][r])
				l->cluster_max_free[host->cluster][r] = l->host_free[h][r];
		} else if (delta[r] < 0 && old == rmax) {
			recompute_rack_max(l, host->rack, r);
			if (rmax == l->cluster_max_free[host->cluster][r])
				recompute_cluster_max(l, host->cluster, r);
		}
	}
}

/* Raise *max to v (VLT_CLASS_ABSENT is below every amount). */
static void raise_max(int64_t *max, int64_t v)
{
	if (v > *max)
		*max = v;
}

/* Host h's extra classes as the inventory gives them, and its rack's and cluster's maxima. */
static void fill_classes(vlt_ledger_t *l, uint32_t h)
{
	const vlt_dc_t *dc = l->dc;
	const vlt_host_t *host = &dc->hosts[h];
	size_t nc = dc->n_classes;

	for (uint32_t c = 0; c < nc; c++) {
		int64_t cap = vlt__dc_host_class_capacity(dc, h, c);

		l->class_free[h * nc + c] = cap;
		if (host->enabled) {
			raise_max(&l->rack_class_max[host->rack * nc + c], cap);
			raise_max(&l->cluster_class_max[host->cluster * nc + c], cap);
		}
	}
}

static void recompute_rack_class_max(vlt_ledger_t *l, uint32_t r, uint32_t c)
{
	const vlt_domain_t *rk = &l->dc->racks[r];
	size_t nc = l->dc->n_classes;
	int64_t best = VLT_CLASS_ABSENT;

	for (uint32_t h = rk->first_host; h < rk->first_host + rk->n_hosts; h++)
		if (l->dc->hosts[h].enabled)
			raise_max(&best, l->class_free[h * nc + c]);
	l->rack_class_max[r * nc + c] = best;
}

static void recompute_cluster_class_max(vlt_ledger_t *l, uint32_t k, uint32_t c)
{
	const vlt_domain_t *cl = &l->dc->clusters[k];
	size_t nc = l->dc->n_classes;
	int64_t best = VLT_CLASS_ABSENT;

	for (uint32_t r = cl->first_rack; r < cl->first_rack + cl->n_racks; r++)
		raise_max(&best, l->rack_class_max[r * nc + c]);
	l->cluster_class_max[k * nc + c] = best;
}

/*
 * Change what host h has free of class c by delta (a host without the
 * class, a hold kept where it is gone, takes none) and keep its rack's
 * and cluster's maxima right, as host_free_add does for the three.
 */
static void class_free_add(vlt_ledger_t *l, uint32_t h, uint32_t c, int64_t delta)
{
	const vlt_host_t *host = &l->dc->hosts[h];
	size_t nc = l->dc->n_classes;
	int64_t *free_ = &l->class_free[h * nc + c];
	int64_t old = *free_, *rmax = &l->rack_class_max[host->rack * nc + c];

	if (old == VLT_CLASS_ABSENT || delta == 0)
		return;
	*free_ += delta;
	if (!host->enabled)
		return;
	if (delta > 0) {
		raise_max(rmax, *free_);
		raise_max(&l->cluster_class_max[host->cluster * nc + c], *free_);
	} else if (old == *rmax) {
		int64_t was = *rmax;

		recompute_rack_class_max(l, host->rack, c);
		if (was == l->cluster_class_max[host->cluster * nc + c])
			recompute_cluster_class_max(l, host->cluster, c);
	}
}

/* A server's vcpus, ram_mb and disk_gb, held (sign +1) as an ordinary hold: at all times. */
static void apply_capacity(vlt_ledger_t *l, const vlt_hold_t *h, int sign)
{
	int64_t delta[VLT_RES_COUNT];

	for (int r = 0; r < VLT_RES_COUNT; r++)
		delta[r] = -sign * h->demand[r];
	host_free_add(l, h->loc, delta);
}

/* A server's extra classes, held (sign +1) as an ordinary hold: at all times. */
static void apply_classes(vlt_ledger_t *l, const vlt_hold_t *h, int sign)
{
	for (uint32_t i = 0; i < h->n_classes; i++)
		class_free_add(l, h->loc, h->classes[i].rclass, -sign * h->classes[i].amount);
}

/* Everything of a hold but a server's vcpus, ram_mb, disk_gb and extra classes. */
static void apply_counts(vlt_ledger_t *l, const vlt_hold_t *h, int sign)
{
	const vlt_dc_t *dc = l->dc;

	if (h->kind == VLT_UNIT_VOLUME) {
		l->pool_free_gb[h->loc] -= sign * h->demand[VLT_RES_DISK_GB];
	} else {
		for (int lv = 0; lv < VLT_LEVEL_DC; lv++) {
			uint32_t d = vlt_host_domain(dc, h->loc, (vlt_level_t)lv);
			l->residents[lv][d] += sign;
		}
		l->residents_total += sign;
		for (uint32_t i = 0; i < h->n_policy_levels; i++) {
			uint32_t p = h->policy_levels[2 * i];
			vlt_level_t lv = (vlt_level_t)h->policy_levels[2 * i + 1];
			l->policy_res[p * VLT_LEVEL_DC + lv][vlt_host_domain(dc, h->loc, lv)] += sign;
			l->policy_res_total[p] += sign;
		}
	}
	/* Growing a count map can fail only on ENOMEM; the count is then lost
	 * for that group, which errs towards allowing, never a crash. */
	for (uint32_t i = 0; i < h->n_occs; i++)
		(void)vlt__occ_add(h->occs[i], dc, h->kind, h->loc, sign);
}

void vlt__ledger_apply(vlt_ledger_t *l, const vlt_hold_t *h, int sign)
{
	if (h->kind == VLT_UNIT_SERVER) {
		apply_capacity(l, h, sign);
		apply_classes(l, h, sign);
	}
	apply_counts(l, h, sign);
}

/* ---------------------------------------------------------------- timed holds */

/* Make host_free[h] leave out the peak of h's timed holds over the view, no other. */
static void show_peak(vlt_ledger_t *l, uint32_t h)
{
	int64_t peak[VLT_RES_COUNT] = {0}, delta[VLT_RES_COUNT];

	if (l->timeline[h] != NULL)
		vlt__timeline_peak(l->timeline[h], &l->view, peak);
	for (int r = 0; r < VLT_RES_COUNT; r++)
		delta[r] = l->timed_shown[h][r] - peak[r];
	memcpy(l->timed_shown[h], peak, sizeof(peak));
	host_free_add(l, h, delta);
	for (uint32_t c = 0; c < l->dc->n_classes; c++) {
		size_t i = (size_t)h * l->dc->n_classes + c;
		int64_t class_peak[VLT_RES_COUNT] = {0};

		if (l->class_timeline[i] != NULL)
			vlt__timeline_peak(l->class_timeline[i], &l->view, class_peak);
		class_free_add(l, h, c, l->class_shown[i] - class_peak[0]);
		l->class_shown[i] = class_peak[0];
	}
}

void vlt__ledger_project(vlt_ledger_t *l, const vlt_interval_t *iv)
{
	l->view = *iv;
	for (uint32_t h = 0; l->n_timed_hosts > 0 && h < l->dc->n_hosts; h++)
		if (l->timeline[h] != NULL)
			show_peak(l, h);
}

/*
 * Take demand over iv into *tl (sign +1, made when NULL) or give it back
 * (-1, freed when it holds nothing more). RET 0, or VLT_ENOMEM with *tl
 * unchanged.
 */
static int timeline_take(vlt_timeline_t **tl, const vlt_interval_t *iv,
			 const int64_t demand[VLT_RES_COUNT], int sign)
{
	bool made = false;

	if (*tl == NULL && sign > 0) {
		if ((*tl = vlt__timeline_new()) == NULL)
			return VLT_ENOMEM;
		made = true;
	}
	if (*tl == NULL)
		return VLT_OK; /* nothing was held there */
	int rc = vlt__timeline_add(*tl, iv, demand, sign);
	if (vlt__timeline_holds(*tl) == 0 || (rc < 0 && made)) {
		vlt__timeline_free(*tl);
		*tl = NULL;
	}
	return rc;
}

/* The first n extra classes of server hold h in their timelines over iv. RET 0 or VLT_ENOMEM. */
static int time_classes(vlt_ledger_t *l, const vlt_hold_t *h, uint32_t n,
			const vlt_interval_t *iv, int sign)
{
	for (uint32_t i = 0; i < n; i++) {
		size_t at = (size_t)h->loc * l->dc->n_classes + h->classes[i].rclass;
		int64_t amount[VLT_RES_COUNT] = {h->classes[i].amount};
		if (timeline_take(&l->class_timeline[at], iv, amount, sign) == VLT_OK)
			continue;
		(void)time_classes(l, h, i, iv, -sign); /* only taking fails */
		return VLT_ENOMEM;
	}
	return VLT_OK;
}

/*
 * A server hold's vcpus, ram_mb, disk_gb and extra classes in its host's
 * timelines over iv. RET 0, or VLT_ENOMEM with nothing taken.
 */
static int time_capacity(vlt_ledger_t *l, const vlt_hold_t *h, const vlt_interval_t *iv,
			 int sign)
{
	vlt_timeline_t **tl = &l->timeline[h->loc];
	bool had = *tl != NULL;
	int rc = timeline_take(tl, iv, h->demand, sign);

	if (rc == VLT_OK && (rc = time_classes(l, h, h->n_classes, iv, sign)) < 0)
		(void)timeline_take(tl, iv, h->demand, -sign); /* only taking fails */
	if (had != (*tl != NULL))
		l->n_timed_hosts = (uint32_t)((int64_t)l->n_timed_hosts + (had ? -1 : 1));
	show_peak(l, h->loc);
	return rc;
}

/* One hold of ph, timed when ph is. RET 0, or VLT_ENOMEM (only when holding) with nothing held. */
static int apply_hold(vlt_ledger_t *l, const vlt_plan_hold_t *ph, const vlt_hold_t *h, int sign)
{
	if (!ph->timed || h->kind != VLT_UNIT_SERVER) {
		vlt__ledger_apply(l, h, sign);
		return VLT_OK;
	}
	int rc = time_capacity(l, h, &ph->interval, sign);
	if (rc == VLT_OK)
		apply_counts(l, h, sign);
	return rc;
}

int vlt__ledger_time_holds(vlt_ledger_t *l, vlt_plan_hold_t *ph)
{
	for (uint32_t i = 0; i < ph->n_holds; i++) {
		const vlt_hold_t *h = &ph->holds[i];

		if (h->kind != VLT_UNIT_SERVER)
			continue;
		apply_capacity(l, h, -1);
		apply_classes(l, h, -1);
		if (time_capacity(l, h, &ph->interval, +1) == VLT_OK)
			continue;
		apply_capacity(l, h, +1);
		apply_classes(l, h, +1);
		while (i-- > 0) {
			if (ph->holds[i].kind != VLT_UNIT_SERVER)
				continue;
			time_capacity(l, &ph->holds[i], &ph->interval, -1);
			apply_capacity(l, &ph->holds[i], +1);
			apply_classes(l, &ph->holds[i], +1);
		}
		return VLT_ENOMEM;
	}
	return VLT_OK;
}

bool vlt__ledger_free_over(const vlt_ledger_t *l, uint32_t h, const vlt_interval_t *iv,
			   int64_t free_[VLT_RES_COUNT])
{
	const vlt_timeline_t *tl = l->timeline[h];
	int64_t peak[VLT_RES_COUNT] = {0};
	uint32_t timed = tl != NULL ? vlt__timeline_holds(tl) : 0;

	if (tl != NULL)
		vlt__timeline_peak(tl, iv, peak);
	for (int r = 0; r < VLT_RES_COUNT; r++)
		free_[r] = l->host_free[h][r] + l->timed_shown[h][r] - peak[r];
	/* the ordinary holds there are held at every time */
	return l->residents[VLT_LEVEL_HOST][h] > timed || (tl != NULL && vlt__timeline_busy(tl, iv));
}

int vlt__ledger_distance(const vlt_dc_t *dc, vlt_unit_kind_t ka, uint32_t a, vlt_unit_kind_t kb,
			 uint32_t b)
{
	uint32_t ra, rb, ca, cb;

	if (ka == kb && a == b)
		return 0;
	ra = ka == VLT_UNIT_SERVER ? dc->hosts[a].rack : dc->pools[a].rack;
	rb = kb == VLT_UNIT_SERVER ? dc->hosts[b].rack : dc->pools[b].rack;
	ca = ka == VLT_UNIT_SERVER ? dc->hosts[a].cluster : dc->pools[a].cluster;
	cb = kb == VLT_UNIT_SERVER ? dc->hosts[b].cluster : dc->pools[b].cluster;
	if (ra != VLT_NONE && ra == rb)
		return 1;
	if (ca != VLT_NONE && ca == cb)
		return 2;
	return 3;
}

static void charge(int64_t *free_mbps, double mbps, int sign)
{
	if (*free_mbps != VLT_UNLIMITED)
		*free_mbps -= sign * (int64_t)(mbps + 0.5);
}

void vlt__ledger_apply_link(vlt_ledger_t *l, vlt_unit_kind_t ka, uint32_t a, vlt_unit_kind_t kb,
			    uint32_t b, double mbps, int sign)
{
	const vlt_dc_t *dc = l->dc;
	int d = vlt__ledger_distance(dc, ka, a, kb, b);

	if (d == 0 || mbps <= 0)
		return;
	if (ka == VLT_UNIT_SERVER)
		charge(&l->host_nic_free[a], mbps, sign);
	if (kb == VLT_UNIT_SERVER)
		charge(&l->host_nic_free[b], mbps, sign);
	if (d >= 2) {
		uint32_t ra = ka == VLT_UNIT_SERVER ? dc->hosts[a].rack : dc->pools[a].rack;
		uint32_t rb = kb == VLT_UNIT_SERVER ? dc->hosts[b].rack : dc->pools[b].rack;
		if (ra != VLT_NONE)
			charge(&l->rack_uplink_free[ra], mbps, sign);
		if (rb != VLT_NONE)
			charge(&l->rack_uplink_free[rb], mbps, sign);
	}
	if (d >= 3) {
		uint32_t ca = ka == VLT_UNIT_SERVER ? dc->hosts[a].cluster : dc->pools[a].cluster;
		uint32_t cb = kb == VLT_UNIT_SERVER ? dc->hosts[b].cluster : dc->pools[b].cluster;
		if (ca != VLT_NONE)
			charge(&l->cluster_uplink_free[ca], mbps, sign);
		if (cb != VLT_NONE)
			charge(&l->cluster_uplink_free[cb], mbps, sign);
	}
}

/* ---------------------------------------------------------------- life cycle */

static int alloc_arrays(vlt_ledger_t *l)
{
	const vlt_dc_t *dc = l->dc;
	size_t nh = dc->n_hosts ? dc->n_hosts : 1, nr = dc->n_racks ? dc->n_racks : 1;
	size_t nc = dc->n_clusters ? dc->n_clusters : 1, np = dc->n_pools ? dc->n_pools : 1;
	size_t sizes[VLT_LEVEL_DC] = {nh, nr, nc};

	l->host_free = calloc(nh, sizeof(*l->host_free));
	l->rack_max_free = calloc(nr, sizeof(*l->rack_max_free));
	l->cluster_max_free = calloc(nc, sizeof(*l->cluster_max_free));
	l->rack_free = calloc(nr, sizeof(*l->rack_free));
	l->cluster_free = calloc(nc, sizeof(*l->cluster_free));
	l->host_nic_free = calloc(nh, sizeof(*l->host_nic_free));
	l->rack_uplink_free = calloc(nr, sizeof(*l->rack_uplink_free));
	l->cluster_uplink_free = calloc(nc, sizeof(*l->cluster_uplink_free));
	l->pool_free_gb = calloc(np, sizeof(*l->pool_free_gb));
	l->class_free = calloc(nh * dc->n_classes + 1, sizeof(*l->class_free));
	l->rack_class_max = calloc(nr * dc->n_classes + 1, sizeof(*l->rack_class_max));
	l->cluster_class_max = calloc(nc * dc->n_classes + 1, sizeof(*l->cluster_class_max));
	l->rack_az_mask = calloc(nr, sizeof(*l->rack_az_mask));
	l->cluster_az_mask = calloc(nc, sizeof(*l->cluster_az_mask));
	l->policy_res = calloc((size_t)l->n_policies * VLT_LEVEL_DC + 1, sizeof(*l->policy_res));
	l->policy_res_total = calloc((size_t)l->n_policies + 1, sizeof(*l->policy_res_total));
	l->timeline = calloc(nh, sizeof(*l->timeline));
	l->timed_shown = calloc(nh, sizeof(*l->timed_shown));
	l->class_timeline = calloc(nh * dc->n_classes + 1, sizeof(*l->class_timeline));
	l->class_shown = calloc(nh * dc->n_classes + 1, sizeof(*l->class_shown));
	if (!l->timeline || !l->timed_shown || !l->class_timeline || !l->class_shown)
		return VLT_ENOMEM;
	if (!l->host_free || !l->rack_max_free || !l->cluster_max_free || !l->rack_free ||
	    !l->cluster_free || !l->host_nic_free || !l->rack_uplink_free ||
	    !l->cluster_uplink_free || !l->pool_free_gb || !l->class_free ||
	    !l->rack_class_max || !l->cluster_class_max || !l->rack_az_mask ||
	    !l->cluster_az_mask || !l->policy_res || !l->policy_res_total)
		return VLT_ENOMEM;
	for (int lv = 0; lv < VLT_LEVEL_DC; lv++)
		if ((l->residents[lv] = calloc(sizes[lv], sizeof(uint32_t))) == NULL)
			return VLT_ENOMEM;
	for (uint32_t p = 0; p < l->n_policies; p++)
		for (int lv = 0; lv < VLT_LEVEL_DC; lv++)
			if ((l->policy_res[p * VLT_LEVEL_DC + lv] =
				     calloc(sizes[lv], sizeof(uint32_t))) == NULL)
				return VLT_ENOMEM;
	return VLT_OK;
}

/* Free capacity and bandwidth as the inventory gives them, before any plan. */
static void fill_from_dc(vlt_ledger_t *l)
{
	const vlt_dc_t *dc = l->dc;

	for (uint32_t r = 0; r < dc->n_racks; r++)
		for (int res = 0; res < VLT_RES_COUNT; res++)
			l->rack_max_free[r][res] = -1;
	for (uint32_t c = 0; c < dc->n_clusters; c++)
		for (int res = 0; res < VLT_RES_COUNT; res++)
			l->cluster_max_free[c][res] = -1;
	for (size_t i = 0; i < (size_t)dc->n_racks * dc->n_classes; i++)
		l->rack_class_max[i] = VLT_CLASS_ABSENT;
	for (size_t i = 0; i < (size_t)dc->n_clusters * dc->n_classes; i++)
		l->cluster_class_max[i] = VLT_CLASS_ABSENT;
	for (uint32_t h = 0; h < dc->n_hosts; h++) {
		const vlt_host_t *host = &dc->hosts[h];
		l->host_nic_free[h] = host->nic_mbps;
		for (int res = 0; res < VLT_RES_COUNT; res++)
			l->host_free[h][res] = host->capacity[res];
		fill_classes(l, h);
		if (!host->enabled)
			continue;
		if (host->az_id < 64) {
			l->rack_az_mask[host->rack] |= 1ull << host->az_id;
			l->cluster_az_mask[host->cluster] |= 1ull << host->az_id;
		}
		for (int res = 0; res < VLT_RES_COUNT; res++) {
			int64_t f = host->capacity[res];
			l->rack_free[host->rack][res] += f;
			l->cluster_free[host->cluster][res] += f;
			if (f > l->rack_max_free[host->rack][res])
				l->rack_max_free[host->rack][res] = f;
			if (f > l->cluster_max_free[host->cluster][res])
				l->cluster_max_free[host->cluster][res] = f;
		}
	}
	for (uint32_t r = 0; r < dc->n_racks; r++)
		l->rack_uplink_free[r] = dc->racks[r].uplink_mbps;
	for (uint32_t c = 0; c < dc->n_clusters; c++)
		l->cluster_uplink_free[c] = dc->clusters[c].uplink_mbps;
	for (uint32_t p = 0; p < dc->n_pools; p++)
		l->pool_free_gb[p] = dc->pools[p].capacity_gb - dc->pools[p].used_gb;
}

int vlt__ledger_new(vlt_ledger_t **out, const vlt_dc_t *dc, uint32_t n_policies, vlt_err_t *err)
{
	vlt_ledger_t *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "ledger: out of memory");
	l->dc = dc;
	l->n_policies = n_policies;
	l->view = vlt__interval_always;
	if (alloc_arrays(l) < 0) {
		vlt__ledger_free(l);
		return vlt_err_set(err, VLT_ENOMEM, "ledger: out of memory for %u hosts",
				   dc->n_hosts);
	}
	fill_from_dc(l);
	*out = l;
	return VLT_OK;
}

void vlt__plan_hold_free(vlt_plan_hold_t *ph)
{
	if (ph == NULL)
		return;
	for (uint32_t i = 0; i < ph->n_holds; i++) {
		free(ph->holds[i].classes);
		free(ph->holds[i].occs);
		free(ph->holds[i].policy_levels);
	}
	free(ph->holds);
	free(ph->links);
	free(ph->plan_id);
	free(ph);
}

static void free_plan_value(void *ph)
{
	vlt__plan_hold_free(ph);
}

static void free_occ_value(void *o)
{
	vlt__occ_free(o);
}

void vlt__ledger_free(vlt_ledger_t *l)
{
	if (l == NULL)
		return;
	vlt__strmap_clear_values(&l->plans, free_plan_value);
	vlt__strmap_clear_values(&l->occs, free_occ_value);
	for (uint32_t i = 0; l->policy_res != NULL && i < l->n_policies * VLT_LEVEL_DC; i++)
		free(l->policy_res[i]);
	free(l->policy_res);
	free(l->policy_res_total);
	for (uint32_t h = 0; l->timeline != NULL && h < l->dc->n_hosts; h++)
		vlt__timeline_free(l->timeline[h]);
	free(l->timeline);
	free(l->timed_shown);
	for (size_t i = 0; l->class_timeline != NULL && i < (size_t)l->dc->n_hosts * l->dc->n_classes;
	     i++)
		vlt__timeline_free(l->class_timeline[i]);
	free(l->class_timeline);
	free(l->class_shown);
	for (int lv = 0; lv < VLT_LEVEL_DC; lv++)
		free(l->residents[lv]);
	free(l->host_free);
	free(l->rack_max_free);
	free(l->cluster_max_free);
	free(l->rack_free);
	free(l->cluster_free);
	free(l->host_nic_free);
	free(l->rack_uplink_free);
	free(l->cluster_uplink_free);
	free(l->pool_free_gb);
	free(l->class_free);
	free(l->rack_class_max);
	free(l->cluster_class_max);
	free(l->rack_az_mask);
	free(l->cluster_az_mask);
	free(l);
}

int vlt__ledger_add_plan(vlt_ledger_t *l, vlt_plan_hold_t *ph)
{
	return vlt__strmap_put(&l->plans, ph->plan_id, ph);
}

bool vlt__ledger_has_plan(const vlt_ledger_t *l, const char *plan_id)
{
	return vlt__strmap_get(&l->plans, plan_id) != NULL;
}

static void apply_links(vlt_ledger_t *l, const vlt_plan_hold_t *ph, int sign)
{
	for (uint32_t i = 0; i < ph->n_links; i++) {
		const vlt_hold_link_t *k = &ph->links[i];
		const vlt_hold_t *a = &ph->holds[k->a], *b = &ph->holds[k->b];
		vlt__ledger_apply_link(l, a->kind, a->loc, b->kind, b->loc, k->mbps, sign);
	}
}

/* Hold (+1) or give back (-1) a recorded plan. RET 0, or VLT_ENOMEM (holding a timed one) with nothing held. */
static int apply_plan(vlt_ledger_t *l, const vlt_plan_hold_t *ph, int sign)
{
	apply_links(l, ph, sign);
	for (uint32_t i = 0; i < ph->n_holds; i++) {
		if (apply_hold(l, ph, &ph->holds[i], sign) == VLT_OK)
			continue;
		while (i-- > 0)
			(void)apply_hold(l, ph, &ph->holds[i], -sign);
		apply_links(l, ph, -sign);
		return VLT_ENOMEM;
	}
	return VLT_OK;
}

vlt_plan_hold_t *vlt__ledger_detach(vlt_ledger_t *l, const char *plan_id)
{
	vlt_plan_hold_t *ph = vlt__strmap_get(&l->plans, plan_id);

	if (ph == NULL)
		return NULL;
	(void)apply_plan(l, ph, -1); /* giving back allocates nothing */
	vlt__strmap_del(&l->plans, plan_id);
	return ph;
}

int vlt__ledger_attach(vlt_ledger_t *l, vlt_plan_hold_t *ph)
{
	if (apply_plan(l, ph, +1) < 0) {
		vlt__plan_hold_free(ph);
		return VLT_ENOMEM;
	}
	if (vlt__ledger_add_plan(l, ph) == 0)
		return 0;
	(void)apply_plan(l, ph, -1);
	vlt__plan_hold_free(ph);
	return VLT_ENOMEM;
}

int vlt__ledger_release(vlt_ledger_t *l, const char *plan_id)
{
	vlt_plan_hold_t *ph = vlt__ledger_detach(l, plan_id);

	if (ph == NULL)
		return VLT_ENOENT;
	vlt__plan_hold_free(ph);
	return VLT_OK;
}

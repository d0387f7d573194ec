/*
 * rclass.c - resource class names and Nova's reading of a flavor's
 * resources:CLASS=N extra specs.
 */
#include <ctype.h>
#include <limits.h>
#include <string.h>

#include "rclass.h"

#define RES_PREFIX "resources"
#define CUSTOM_PREFIX "CUSTOM_"
#define SUFFIX_MAX 64 /* Nova's pattern: resources([a-zA-Z0-9_-]{1,64})?:CLASS */

static const char *const slot_names[VLT_RES_COUNT] = { "VCPU", "MEMORY_MB", "DISK_GB" };

/* os_resource_classes.STANDARDS (1.1.0), the three of the model first. */
static const char *const standard_classes[] = {
	"VCPU",
	"MEMORY_MB",
	"DISK_GB",
	"PCI_DEVICE",
	"SRIOV_NET_VF",
	"NUMA_SOCKET",
	"NUMA_CORE",
	"NUMA_THREAD",
	"NUMA_MEMORY_MB",
	"IPV4_ADDRESS",
	"VGPU",
	"VGPU_DISPLAY_HEAD",
	"NET_BW_EGR_KILOBIT_PER_SEC",
	"NET_BW_IGR_KILOBIT_PER_SEC",
	"PCPU",
	"MEM_ENCRYPTION_CONTEXT",
	"FPGA",
	"PGPU",
	"NET_PACKET_RATE_KILOPACKET_PER_SEC",
	"NET_PACKET_RATE_EGR_KILOPACKET_PER_SEC",
	"NET_PACKET_RATE_IGR_KILOPACKET_PER_SEC",
};

const char *vlt__rclass_slot_name(vlt_res_t r)
{
	return slot_names[r];
}

int vlt__rclass_slot(const char *name)
{
	for (int r = 0; r < VLT_RES_COUNT; r++)
		if (strcmp(name, slot_names[r]) == 0)
			return r;
	return -1;
}

bool vlt__rclass_name_ok(const char *name)
{
	size_t plen = strlen(CUSTOM_PREFIX);

	if (strncmp(name, CUSTOM_PREFIX, plen) == 0) {
		if (name[plen] == '\0')
			return false;
		for (const char *c = name + plen; *c != '\0'; c++)
			if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
				return false;
		return true;
	}
	for (size_t i = 0; i < sizeof(standard_classes) / sizeof(standard_classes[0]); i++)
		if (strcmp(name, standard_classes[i]) == 0)
			return true;
	return false;
}

/* The class a resources[$S]:CLASS key names, or NULL for any other key. */
static const char *spec_class(const char *key)
{
	size_t plen = strlen(RES_PREFIX), s = 0;

	if (strncmp(key, RES_PREFIX, plen) != 0)
		return NULL;
	key += plen;
	while (key[s] != '\0' && (isalnum((unsigned char)key[s]) || key[s] == '_' || key[s] == '-'))
		s++;
	if (key[s] != ':' || s > SUFFIX_MAX)
		return NULL;
	return key + s + 1;
}

/*
 * Python's int() of the value, as Nova converts it: blanks around, a
 * sign, digits with single underscores between them. RET false when it
 * is not a whole number, is negative, or is beyond int64.
 */
static bool spec_amount(const char *v, int64_t *out)
{
	bool neg = false, digit = false;
	int64_t x = 0;

	while (isspace((unsigned char)*v))
		v++;
	if (*v == '+' || *v == '-')
		neg = *v++ == '-';
	for (; *v != '\0' && !isspace((unsigned char)*v); v++) {
		if (*v == '_' && digit && v[1] >= '0' && v[1] <= '9')
			continue;
		if (*v < '0' || *v > '9' || x > (INT64_MAX - (*v - '0')) / 10)
			return false;
		x = x * 10 + (*v - '0');
		digit = true;
	}
	while (isspace((unsigned char)*v))
		v++;
	if (!digit || *v != '\0' || (neg && x != 0))
		return false;
	*out = x;
	return true;
}

/* Add amount to the ask of name in asks[0, n); RET the new count. */
static uint32_t ask_add(vlt_rclass_ask_t *asks, uint32_t n, const char *name, int64_t amount)
{
	for (uint32_t i = 0; i < n; i++) {
		if (strcmp(asks[i].name, name) == 0) {
			asks[i].amount = amount > INT64_MAX - asks[i].amount ? INT64_MAX
									      : asks[i].amount + amount;
			return n;
		}
	}
	asks[n] = (vlt_rclass_ask_t){ name, amount };
	return n + 1;
}

/* Drop the asks of none (Nova's strip_zeros). */
static uint32_t strip_zeros(vlt_rclass_ask_t *asks, uint32_t n)
{
	uint32_t kept = 0;

	for (uint32_t i = 0; i < n; i++)
		if (asks[i].amount > 0)
			asks[kept++] = asks[i];
	return kept;
}

uint32_t vlt__rclass_read_specs(const vlt_kv_t *specs, uint32_t n,
				int64_t demand[VLT_RES_COUNT], vlt_rclass_ask_t *asks)
{
	int64_t named[VLT_RES_COUNT] = { 0 };
	bool seen[VLT_RES_COUNT] = { false }, pcpu = false;
	uint32_t n_asks = 0;

	for (uint32_t i = 0; i < n; i++) {
		const char *name = spec_class(specs[i].key);
		int64_t amount;

		if (name == NULL || !vlt__rclass_name_ok(name) ||
		    !spec_amount(specs[i].value, &amount))
			continue;
		int slot = vlt__rclass_slot(name);

		if (slot >= 0) {
			seen[slot] = true;
			named[slot] = amount > INT64_MAX - named[slot] ? INT64_MAX
								       : named[slot] + amount;
			continue;
		}
		pcpu = pcpu || strcmp(name, "PCPU") == 0;
		if (asks != NULL)
			n_asks = ask_add(asks, n_asks, name, amount);
	}
	for (int r = 0; r < VLT_RES_COUNT; r++)
		if (seen[r])
			demand[r] = named[r];
	if (pcpu && !seen[VLT_RES_VCPUS])
		demand[VLT_RES_VCPUS] = 0;
	return strip_zeros(asks, n_asks);
}

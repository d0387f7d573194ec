/* valet_inventory.h - the `valet inventory` command (valet_inventory.c). */
#ifndef VALET_PROGRAMS_INVENTORY_H
#define VALET_PROGRAMS_INVENTORY_H

/* argv[0] is "inventory". RET the exit status. */
int vlt_valet_inventory(int argc, char **argv);

#endif /* VALET_PROGRAMS_INVENTORY_H */

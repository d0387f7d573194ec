/* valet/valet.h - everything a module may include, in one header. */
#ifndef VALET_VALET_H
#define VALET_VALET_H

#include <valet/core.h>
#include <valet/errors.h>
#include <valet/model.h>
#include <valet/plugin.h>
#include <valet/policy.h>
#include <valet/solver.h>
#include <valet/source.h>
#include <valet/store.h>

#endif /* VALET_VALET_H */

// dcmfetch.cc: C-GET SCU for proxy mode (being written).
#include "config.h"
#include "dcmfetch.h"

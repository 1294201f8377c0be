// dcmcodec.cc: transcoding between transfer syntaxes (being written).
#include "config.h"

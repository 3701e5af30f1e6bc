/* Freestanding stand-in. */
#ifndef OPTIOS_STDBOOL_H
#define OPTIOS_STDBOOL_H
#define bool _Bool
#define true 1
#define false 0
#endif

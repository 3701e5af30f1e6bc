/* Freestanding stand-in: the libm subset wasm2c's output uses (boot/libm.c). */
#ifndef OPTIOS_MATH_H
#define OPTIOS_MATH_H
#define NAN __builtin_nan("")
#define INFINITY __builtin_inf()
#define isnan(x) __builtin_isnan(x)
#define isinf(x) __builtin_isinf(x)
#define signbit(x) __builtin_signbit(x)
double fabs(double x);
float fabsf(float x);
double sqrt(double x);
float sqrtf(float x);
double floor(double x);
float floorf(float x);
double ceil(double x);
float ceilf(float x);
double trunc(double x);
float truncf(float x);
double nearbyint(double x);
float nearbyintf(float x);
double copysign(double x, double y);
float copysignf(float x, float y);
double fmin(double x, double y);
double fmax(double x, double y);
float fminf(float x, float y);
float fmaxf(float x, float y);
#endif

/* The libm subset wasm2c's output calls, on SSE2 alone (no SSE4.1 rounding instructions). */
#include <math.h>

#define TWO_TO_52 4503599627370496.0
#define TWO_TO_23 8388608.0f

double fabs(double x) { return __builtin_fabs(x); }
float fabsf(float x) { return __builtin_fabsf(x); }
double copysign(double x, double y) { return __builtin_copysign(x, y); }
float copysignf(float x, float y) { return __builtin_copysignf(x, y); }

double sqrt(double x) {
  __asm__("sqrtsd %1, %0" : "=x"(x) : "x"(x));
  return x;
}

float sqrtf(float x) {
  __asm__("sqrtss %1, %0" : "=x"(x) : "x"(x));
  return x;
}

/* Values at or beyond 2^52 (2^23 for float) are already integral; NaN and infinities too. */
double trunc(double x) {
  if (!(fabs(x) < TWO_TO_52)) return x;
  return copysign((double)(long long)x, x);
}

float truncf(float x) {
  if (!(fabsf(x) < TWO_TO_23)) return x;
  return copysignf((float)(int)x, x);
}

double floor(double x) {
  double t = trunc(x);
  return t > x ? t - 1.0 : t;
}

float floorf(float x) {
  float t = truncf(x);
  return t > x ? t - 1.0f : t;
}

double ceil(double x) {
  double t = trunc(x);
  return t < x ? t + 1.0 : t;
}

float ceilf(float x) {
  float t = truncf(x);
  return t < x ? t + 1.0f : t;
}

/* Round half to even, as the default SSE rounding mode does when 2^52 is added and removed. */
double nearbyint(double x) {
  if (!(fabs(x) < TWO_TO_52)) return x;
  volatile double shifted = fabs(x) + TWO_TO_52;
  return copysign(shifted - TWO_TO_52, x);
}

float nearbyintf(float x) {
  if (!(fabsf(x) < TWO_TO_23)) return x;
  volatile float shifted = fabsf(x) + TWO_TO_23;
  return copysignf(shifted - TWO_TO_23, x);
}

double fmin(double x, double y) { return isnan(x) ? y : isnan(y) ? x : (x < y ? x : y); }
double fmax(double x, double y) { return isnan(x) ? y : isnan(y) ? x : (x > y ? x : y); }
float fminf(float x, float y) { return isnan(x) ? y : isnan(y) ? x : (x < y ? x : y); }
float fmaxf(float x, float y) { return isnan(x) ? y : isnan(y) ? x : (x > y ? x : y); }

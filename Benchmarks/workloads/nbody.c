/* nbody: floating-point physics — an O(n^2) gravitational simulation of generated particles
   with softening, leapfrog integration and energy tracking (sqrt, division, many loads). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NB 96
#define STEPS 7000

typedef struct {
    double x, y, z, vx, vy, vz, m;
} body;

static body bodies[NB];
static double ax[NB], ay[NB], az[NB];

static uint32_t seed = 2463534242u;
static double next_unit(void) { /* xorshift32 mapped to [0,1) */
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    return (double)seed * (1.0 / 4294967296.0);
}

static uint64_t bits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static const double EPS2 = 1e-3, DT = 1e-3;

static void accelerations(void) {
    for (int i = 0; i < NB; i++) ax[i] = ay[i] = az[i] = 0.0;
    for (int i = 0; i < NB; i++) {
        for (int j = i + 1; j < NB; j++) {
            double dx = bodies[j].x - bodies[i].x;
            double dy = bodies[j].y - bodies[i].y;
            double dz = bodies[j].z - bodies[i].z;
            double d2 = dx * dx + dy * dy + dz * dz + EPS2;
            double inv = 1.0 / (d2 * sqrt(d2));
            double fi = bodies[j].m * inv, fj = bodies[i].m * inv;
            ax[i] += dx * fi; ay[i] += dy * fi; az[i] += dz * fi;
            ax[j] -= dx * fj; ay[j] -= dy * fj; az[j] -= dz * fj;
        }
    }
}

static double energy(void) {
    double e = 0.0;
    for (int i = 0; i < NB; i++) {
        body *b = &bodies[i];
        e += 0.5 * b->m * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
        for (int j = i + 1; j < NB; j++) {
            double dx = bodies[j].x - b->x, dy = bodies[j].y - b->y, dz = bodies[j].z - b->z;
            e -= b->m * bodies[j].m / sqrt(dx * dx + dy * dy + dz * dz + EPS2);
        }
    }
    return e;
}

int main(void) {
    for (int i = 0; i < NB; i++) {
        /* a flattened disc with a slight rotation */
        double r = 0.1 + next_unit(), th = next_unit() * 6.283185307179586;
        double c = 1.0 - th * th / 2 + th * th * th * th / 24; /* crude, deterministic */
        double s = th - th * th * th / 6;
        bodies[i].x = r * c;
        bodies[i].y = r * s;
        bodies[i].z = (next_unit() - 0.5) * 0.05;
        bodies[i].vx = -bodies[i].y * 0.3;
        bodies[i].vy = bodies[i].x * 0.3;
        bodies[i].vz = 0.0;
        bodies[i].m = (0.5 + next_unit()) / NB;
    }
    double e0 = energy();
    accelerations();
    for (int step = 0; step < STEPS; step++) {
        for (int i = 0; i < NB; i++) { /* kick-drift */
            bodies[i].vx += 0.5 * DT * ax[i];
            bodies[i].vy += 0.5 * DT * ay[i];
            bodies[i].vz += 0.5 * DT * az[i];
            bodies[i].x += DT * bodies[i].vx;
            bodies[i].y += DT * bodies[i].vy;
            bodies[i].z += DT * bodies[i].vz;
        }
        accelerations();
        for (int i = 0; i < NB; i++) { /* kick */
            bodies[i].vx += 0.5 * DT * ax[i];
            bodies[i].vy += 0.5 * DT * ay[i];
            bodies[i].vz += 0.5 * DT * az[i];
        }
    }
    double e1 = energy();
    double cx = 0, cy = 0, cz = 0;
    for (int i = 0; i < NB; i++) {
        cx += bodies[i].x * bodies[i].m;
        cy += bodies[i].y * bodies[i].m;
        cz += bodies[i].z * bodies[i].m;
    }
    printf("bodies=%d steps=%d\n", NB, STEPS);
    printf("e0=%016llx e1=%016llx (%.6f -> %.6f)\n", (unsigned long long)bits(e0),
           (unsigned long long)bits(e1), e0, e1);
    printf("centre=%016llx %016llx %016llx\n", (unsigned long long)bits(cx),
           (unsigned long long)bits(cy), (unsigned long long)bits(cz));
    return 0;
}

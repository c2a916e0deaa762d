/* mandelbrot: floating-point escape-time iteration over a grid, with a bitmap hash and a
   histogram of iteration counts. */
#include <stdint.h>
#include <stdio.h>

#define WIDTH 800
#define HEIGHT 600
#define MAX_ITER 1000

static uint32_t histogram[MAX_ITER + 1];

int main(void) {
    uint64_t total = 0;
    uint32_t inside = 0, h = 2166136261u;
    uint8_t bits = 0;
    for (int py = 0; py < HEIGHT; py++) {
        double ci = -1.2 + 2.4 * py / HEIGHT;
        for (int px = 0; px < WIDTH; px++) {
            double cr = -2.2 + 3.2 * px / WIDTH;
            double zr = 0.0, zi = 0.0, zr2 = 0.0, zi2 = 0.0;
            int it = 0;
            while (it < MAX_ITER && zr2 + zi2 <= 4.0) {
                zi = 2.0 * zr * zi + ci;
                zr = zr2 - zi2 + cr;
                zr2 = zr * zr;
                zi2 = zi * zi;
                it++;
            }
            histogram[it]++;
            total += (uint64_t)it;
            if (it == MAX_ITER) inside++;
            bits = (uint8_t)(bits << 1 | (it == MAX_ITER));
            if ((px & 7) == 7) h = (h ^ bits) * 16777619u;
        }
    }
    uint32_t mode = 1;
    for (int i = 1; i < MAX_ITER; i++)
        if (histogram[i] > histogram[mode]) mode = (uint32_t)i;
    printf("%dx%d max_iter=%d total_iter=%llu inside=%u mode=%u bitmap=%08x\n", WIDTH, HEIGHT,
           MAX_ITER, (unsigned long long)total, inside, mode, h);
    return 0;
}

/* Placeholder entry point; the foundation work replaces it with the real wiring. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "version") == 0) {
        printf("huard %s\n", HUARD_VERSION);
        return 0;
    }
    fprintf(stderr, "usage: huard version\n");
    return 2;
}

/*
 * banned: functions Huard code must not call (after git's banned.h).
 *
 * Include it last in a .c of src/. Raw allocation goes through base/alloc.h so that out of
 * memory is handled in one place; unbounded string functions are replaced by snprintf and
 * explicit lengths.
 */
#ifndef HUARD_BASE_BANNED_H
#define HUARD_BASE_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gets
#define gets(x) BANNED(gets)
#undef malloc
#define malloc(x) BANNED(malloc)
#undef strdup
#define strdup(x) BANNED(strdup)

#endif

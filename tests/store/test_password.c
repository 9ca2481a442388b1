/* domain/password: argon2id hashes and token hashing (runs once per backend, like the suite). */
#include <criterion/criterion.h>
#include <string.h>

#include "domain/password.h"

Test(password, argon2id_hash_verifies_only_the_right_password)
{
    char hash[PASSWORD_HASH_MAX];
    const char *pw = "correct horse ❤️";
    cr_assert_eq(password_hash(pw, strlen(pw), hash), 0);
    cr_assert_eq(strncmp(hash, "$argon2id$", 10), 0, "argon2id: %s", hash);
    cr_assert(password_verify(hash, pw, strlen(pw)));
    cr_assert_not(password_verify(hash, "correct horse", 13));
    cr_assert_not(password_verify("garbage", pw, strlen(pw)));
    cr_assert_not(password_verify(NULL, pw, strlen(pw)));
    char again[PASSWORD_HASH_MAX];
    cr_assert_eq(password_hash(pw, strlen(pw), again), 0);
    cr_assert_str_neq(hash, again, "random salt");
}

Test(password, token_is_256_random_bits_and_hash_is_sha256_hex)
{
    char a[PASSWORD_TOKEN_LEN], b[PASSWORD_TOKEN_LEN];
    password_token_new(a);
    password_token_new(b);
    cr_assert_eq(strlen(a), 64);
    cr_assert_eq(strspn(a, "0123456789abcdef"), 64);
    cr_assert_str_neq(a, b);
    char h[PASSWORD_TOKEN_HASH_LEN];
    password_token_hash("abc", 3, h);
    cr_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

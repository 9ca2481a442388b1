#include "domain/password.h"

#include <pthread.h>
#include <sodium.h>

#include "base/err.h"
#include "base/banned.h"

_Static_assert(crypto_pwhash_STRBYTES <= PASSWORD_HASH_MAX, "argon2id string fits");
_Static_assert(crypto_hash_sha256_BYTES * 2 + 1 == PASSWORD_TOKEN_HASH_LEN, "hex sha-256");

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_status;

static void sodium_start(void)
{
    sodium_status = sodium_init();
}

static void sodium_ready(void)
{
    pthread_once(&sodium_once, sodium_start);
    /* sodium_init() fails only without a usable random source: nothing can work then. */
    BUG_ON(sodium_status < 0);
}

int password_hash(const char *password, size_t len, char out[PASSWORD_HASH_MAX])
{
    sodium_ready();
    /* crypto_pwhash_str is argon2id (crypto_pwhash_ALG_DEFAULT) with a random salt. */
    if (crypto_pwhash_str(out, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        return HE_NOMEM;
    }
    return 0;
}

bool password_verify(const char *stored_hash, const char *password, size_t len)
{
    sodium_ready();
    if (stored_hash == NULL) {
        return false;
    }
    return crypto_pwhash_str_verify(stored_hash, password, len) == 0;
}

void password_token_new(char out[PASSWORD_TOKEN_LEN])
{
    unsigned char bytes[32];
    sodium_ready();
    randombytes_buf(bytes, sizeof(bytes));
    sodium_bin2hex(out, PASSWORD_TOKEN_LEN, bytes, sizeof(bytes));
    sodium_memzero(bytes, sizeof(bytes));
}

void password_token_hash(const char *token, size_t len, char out[PASSWORD_TOKEN_HASH_LEN])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    sodium_ready();
    crypto_hash_sha256(digest, (const unsigned char *)token, len);
    sodium_bin2hex(out, PASSWORD_TOKEN_HASH_LEN, digest, sizeof(digest));
}

#include "base/err.h"

struct he_row {
    int status;
    const char *id;
    const char *msg;
    const char *name;
};

static const struct he_row he_rows[] = {
#define HE_ROW_(name, status, id, msg) {status, id, msg, "HE_" #name},
    HE_ERRNO_MAP(HE_ROW_)
#undef HE_ROW_
};

static const struct he_row *he_find(int code)
{
    int i = code - (HE_ERR_FIRST_ + 1);
    if (code >= 0 || i < 0 || i >= (int)(sizeof(he_rows) / sizeof(he_rows[0]))) {
        return &he_rows[1]; /* INTERNAL */
    }
    return &he_rows[i];
}

int he_status(int code)
{
    return he_find(code)->status;
}

const char *he_error_id(int code)
{
    return he_find(code)->id;
}

const char *he_message(int code)
{
    return he_find(code)->msg;
}

const char *he_name(int code)
{
    if (code == 0) {
        return "HE_OK";
    }
    return he_find(code)->name;
}

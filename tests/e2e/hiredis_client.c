/* A small hiredis client for the end-to-end tests (tests/e2e/test_clients.py).
 *
 *   hiredis_client <host> <port>
 *
 * Runs a fixed script against the server and prints one line per check, "name value",
 * which the test compares with what it expects. Exits 1 on a connection error. */

#include <hiredis/hiredis.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_reply(const char *name, redisReply *r) {
    if (r == NULL) {
        printf("%s NULLREPLY\n", name);
        return;
    }
    switch (r->type) {
    case REDIS_REPLY_STATUS: printf("%s status:%s\n", name, r->str); break;
    case REDIS_REPLY_ERROR: printf("%s error:%s\n", name, r->str); break;
    case REDIS_REPLY_INTEGER: printf("%s integer:%lld\n", name, r->integer); break;
    case REDIS_REPLY_NIL: printf("%s nil\n", name); break;
    case REDIS_REPLY_STRING: printf("%s string:%.*s\n", name, (int)r->len, r->str); break;
    case REDIS_REPLY_ARRAY:
        printf("%s array:%zu", name, r->elements);
        for (size_t i = 0; i < r->elements; i++) {
            redisReply *e = r->element[i];
            if (e->type == REDIS_REPLY_NIL) printf(" nil");
            else if (e->type == REDIS_REPLY_STRING) printf(" %.*s", (int)e->len, e->str);
            else printf(" type%d", e->type);
        }
        printf("\n");
        break;
    default: printf("%s type%d\n", name, r->type); break;
    }
}

static redisReply *command(redisContext *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (r == NULL) {
        printf("connection-error %s\n", c->errstr);
        exit(1);
    }
    return r;
}

#define RUN(name, ...)                          \
    do {                                        \
        redisReply *r_ = command(c, __VA_ARGS__); \
        print_reply(name, r_);                  \
        freeReplyObject(r_);                    \
    } while (0)

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s host port\n", argv[0]);
        return 2;
    }
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout(argv[1], atoi(argv[2]), tv);
    if (c == NULL || c->err) {
        printf("connection-error %s\n", c ? c->errstr : "alloc");
        return 1;
    }
    redisSetTimeout(c, tv);

    RUN("ping", "PING");
    RUN("set", "SET %s %s", "hkey", "hello");
    RUN("get", "GET %s", "hkey");
    RUN("get-missing", "GET %s", "nokey");
    /* binary-safe key and value through %b */
    RUN("set-binary", "SET %b %b", "bin\0key", (size_t)7, "v\0\r\nx", (size_t)5);
    {
        redisReply *r = command(c, "GET %b", "bin\0key", (size_t)7);
        printf("get-binary len:%zu match:%d\n", r->len,
               r->type == REDIS_REPLY_STRING && r->len == 5 && memcmp(r->str, "v\0\r\nx", 5) == 0);
        freeReplyObject(r);
    }
    RUN("incr1", "INCR %s", "hcounter");
    RUN("incr2", "INCR %s", "hcounter");
    RUN("incrby", "INCRBY %s %d", "hcounter", 40);
    RUN("incr-error", "INCR %s", "hkey");
    RUN("mset", "MSET %s %s %s %s", "m1", "one", "m2", "two");
    RUN("mget", "MGET %s %s %s", "m1", "nokey", "m2");

    /* pipelined APPENDs: queue 1000 commands, then read the replies in order */
    const int n = 1000;
    for (int i = 0; i < n; i++) redisAppendCommand(c, "APPEND %s %s", "happend", "ab");
    int ok = 1;
    for (int i = 0; i < n; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL) {
            printf("connection-error %s\n", c->errstr);
            return 1;
        }
        if (r->type != REDIS_REPLY_INTEGER || r->integer != 2LL * (i + 1)) ok = 0;
        freeReplyObject(r);
    }
    printf("pipelined-appends ok:%d\n", ok);
    RUN("strlen", "STRLEN %s", "happend");

    /* a 4 MiB value with a recognisable pattern */
    size_t big_len = 4u << 20;
    char *big = malloc(big_len);
    for (size_t i = 0; i < big_len; i++) big[i] = (char)(i * 131 + 7);
    RUN("set-large", "SET %s %b", "hbig", big, big_len);
    {
        redisReply *r = command(c, "GET %s", "hbig");
        printf("get-large len:%zu match:%d\n", r->len,
               r->type == REDIS_REPLY_STRING && r->len == big_len && memcmp(r->str, big, big_len) == 0);
        freeReplyObject(r);
    }
    free(big);
    RUN("error", "GET");
    RUN("del", "DEL %s %s %s", "hkey", "hcounter", "nokey");
    redisFree(c);
    printf("done\n");
    return 0;
}

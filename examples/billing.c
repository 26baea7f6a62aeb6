// A monthly billing workflow as a durable instance (docs/DURABLE.md):
// every month it sleeps (the instance is parked, not a process), asks a
// payment child instance to charge the customer, and waits for an
// "approved" signal before the next month. Killing the worker at any point
// charges nobody twice: the child is created under an idempotency key.
//
//   deja start billing.wasm sha256:<payment.wasm's hash> 3
//   deja signal ID approved "ok by alice"
//
// Built for wasm32-wasi: clang --target=wasm32-wasi -I include billing.c
#include <deja/guest/durable.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MONTH_SECONDS (30u * 24u * 3600u)

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: billing PAYMENT_MODULE [MONTHS]\n");
    return 2;
  }
  int months = argc > 2 ? atoi(argv[2]) : 3;
  for (int m = 1; m <= months; ++m) {
    sleep(MONTH_SECONDS);  // durable sleep: parked for a month

    char amount[16];
    snprintf(amount, sizeof amount, "%d.00", 10 * m);
    const char* args[] = {"charge", amount};
    const char* customer = "customer=ada";
    deja_child_t payment;
    int e = deja_spawn(argv[1], args, 2, customer, strlen(customer), &payment);
    if (e != 0) {
      fprintf(stderr, "month %d: cannot start the payment (errno %d)\n", m, e);
      return 1;
    }
    size_t which;
    int32_t status;
    if (deja_await(&payment, 1, DEJA_ALL, &which, &status) != 0 || status != 0) {
      fprintf(stderr, "month %d: the payment failed (status %d)\n", m, (int)status);
      return 1;
    }
    char receipt[128];
    size_t len = 0;
    deja_child_output(payment, 0, receipt, sizeof receipt - 1, &len);
    receipt[len] = '\0';
    if (len > 0 && receipt[len - 1] == '\n') receipt[len - 1] = '\0';

    char approval[128];
    if (deja_signal_wait("approved", approval, sizeof approval - 1, &len) != 0) return 1;
    approval[len] = '\0';
    printf("month %d: %s; approved: %s\n", m, receipt, approval);
    fflush(stdout);
  }
  printf("billing done\n");
  return 0;
}

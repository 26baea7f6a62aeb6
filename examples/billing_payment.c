// The payment step of examples/billing.c, run as a child instance:
// "charge AMOUNT" with the customer on stdin; prints a receipt.
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc < 3 || strcmp(argv[1], "charge") != 0) return 2;
  char customer[128];
  size_t n = fread(customer, 1, sizeof customer - 1, stdin);
  customer[n] = '\0';
  printf("charged %s to %s\n", argv[2], customer);
  return 0;
}

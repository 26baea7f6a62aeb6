// A C++ CGI function that sets a Status and two cookies (two Set-Cookie
// headers, which must both reach the client) and answers in JSON.
#include <cstdlib>
#include <iostream>
#include <string>

int main() {
  const char* q = std::getenv("QUERY_STRING");
  std::string user = q && *q ? q : "anonymous";
  std::string body = "{\"created\":\"" + user + "\"}\n";
  std::cout << "Status: 201 Created\r\n"
            << "Set-Cookie: session=" << user << "; Path=/; HttpOnly\r\n"
            << "Content-Type: application/json\r\n"
            << "Set-Cookie: theme=dark; Path=/\r\n"
            << "Content-Length: " << body.size() << "\r\n"
            << "\r\n"
            << body;
  return 0;
}

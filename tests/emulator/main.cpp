// amlops-arm-emulator: the loopback Azure emulator as a process, for manual runs and fixtures
// that prefer a separate process. Writes its port to --port-file and serves until stdin closes.
#include "emulator.hpp"

#include "amlops/core/atomic_file.hpp"

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
    amlops::emulator::options o;
    std::string port_file;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i], value = argv[i + 1];
        if (key == "--port-file") port_file = value;
        else if (key == "--tenant") o.tenant = value;
        else if (key == "--client-id") o.client_id = value;
        else if (key == "--client-secret") o.client_secret = value;
        else if (key == "--certificate") {
            std::ifstream in(value);
            std::stringstream ss;
            ss << in.rdbuf();
            o.certificate_pem = ss.str();
        } else if (key == "--fault-every") o.faults.every_nth = std::stoi(value);
        else if (key == "--fault-status") o.faults.statuses = {std::stoi(value)};
        else if (key == "--retry-after") o.faults.retry_after_seconds = std::stoi(value);
        else if (key == "--storage-endpoint") o.storage.endpoint = value;  // e.g. Azurite's http://127.0.0.1:10000/devstoreaccount1
        else if (key == "--storage-via-emulator") o.storage.through_emulator = value == "1" || value == "true";
        else if (key == "--provision") o.provision.enabled = value == "1" || value == "true";  // the platform's ARM store
        else if (key == "--lro-ms") o.provision.lro_latency = std::chrono::milliseconds(std::stol(value));
        else if (key == "--rbac-propagation-ms") o.provision.rbac_propagation = std::chrono::milliseconds(std::stol(value));
        else if (key == "--recreate-cooldown-ms") o.provision.recreate_cooldown = std::chrono::milliseconds(std::stol(value));
        else {
            std::cerr << "usage: amlops-arm-emulator [--port-file F] [--tenant T] [--client-id ID] [--client-secret S]"
                         " [--certificate PEM] [--fault-every N] [--fault-status S] [--retry-after SECONDS]"
                         " [--storage-endpoint URL] [--storage-via-emulator 0|1] [--provision 0|1] [--lro-ms N]"
                         " [--rbac-propagation-ms N] [--recreate-cooldown-ms N]\n";
            return 2;
        }
    }
    amlops::emulator::emulator emu(o);
    if (!port_file.empty()) amlops::write_file_atomic(port_file, std::to_string(emu.port()) + "\n");
    std::cout << emu.base_url() << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {}
    return 0;
}

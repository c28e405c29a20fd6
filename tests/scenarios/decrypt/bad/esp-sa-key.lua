vpnlab.esp_sa{ spi = 1, encr = "aes128", key = "0011", integ = "sha1", auth_key = "00" }

vpnlab.esp_sa{ spi = 1, encr = "aes999", key = "00" }

"""The currencies Headwater knows: the one list every currency field (base currency, deals, exchange rates) uses."""

from __future__ import annotations

# ISO 4217 codes of the currencies in circulation (list one, 2025), without the funds, precious metals, testing and
# "no currency" codes (XAU, XDR, XTS, XXX, ...), which no deal is priced in. The ones our customers use most come
# first, in the order the selects offer them (the first is a new account's default); the rest follow alphabetically.
CURRENCIES: tuple[str, ...] = (
    *("PLN", "EUR", "USD", "GBP", "CHF", "CZK", "SEK", "NOK", "DKK", "UAH"),
    *("AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF"),
    *("BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CLP", "CNY", "COP", "CRC"),
    *("CUP", "CVE", "DJF", "DOP", "DZD", "EGP", "ERN", "ETB", "FJD", "FKP", "GEL", "GHS", "GIP", "GMD", "GNF"),
    *("GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY"),
    *("KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD"),
    *("MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD"),
    *("NGN", "NIO", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PYG", "QAR", "RON", "RSD", "RUB"),
    *("RWF", "SAR", "SBD", "SCR", "SDG", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL"),
    *("THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UGX", "UYU", "UZS", "VED", "VES", "VND"),
    *("VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG"),
)

_KNOWN = frozenset(CURRENCIES)


def is_currency(code: str) -> bool:
    """Whether `code` (upper case) is one of CURRENCIES."""
    return code in _KNOWN

import Testing
import Shared

@Suite struct PBKDF2Tests {
    /// RFC 7914 section 11, PBKDF2-HMAC-SHA256 vectors.
    @Test func rfc7914OneIteration() {
        let key = PBKDF2.hmacSHA256(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1, keyLength: 64)
        #expect(key == hexBytes("""
            55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc\
            49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783
            """))
    }

    @Test func rfc7914EightyThousandIterations() {
        let key = PBKDF2.hmacSHA256(password: Array("Password".utf8), salt: Array("NaCl".utf8), iterations: 80_000, keyLength: 64)
        #expect(key == hexBytes("""
            4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56\
            a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d
            """))
    }

    @Test func keyLengthThatIsNotAMultipleOfTheDigestIsAPrefix() {
        let full = PBKDF2.hmacSHA256(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 3, keyLength: 64)
        for length in [0, 1, 20, 32, 33, 63] {
            let partial = PBKDF2.hmacSHA256(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 3, keyLength: length)
            #expect(partial == Array(full.prefix(length)))
        }
    }

    @Test func passwordLongerThanABlockIsHashedFirst() {
        // The HMAC key is hashed when longer than 64 bytes, so the long password and its digest derive the same key.
        let long = [UInt8](repeating: 0x70, count: 100)
        let a = PBKDF2.hmacSHA256(password: long, salt: [1, 2, 3], iterations: 2, keyLength: 32)
        let b = PBKDF2.hmacSHA256(password: SHA256.hash(long), salt: [1, 2, 3], iterations: 2, keyLength: 32)
        #expect(a == b)
    }
}

package csharp

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"strings"
)

// aesCBC is APIM's byte[].Encrypt/Decrypt(alg, key, iv) for "Aes" and
// "Rijndael" (with .NET's default 128-bit block): CBC with PKCS7 padding.
func aesCBC(encrypt bool, alg string, in, key, iv []byte) ([]byte, error) {
	switch strings.ToLower(strings.TrimPrefix(alg, "System.Security.Cryptography.")) {
	case "aes", "rijndael", "aesmanaged", "rijndaelmanaged", "aescryptoserviceprovider":
	default:
		return nil, exc("NotSupportedException", "the symmetric algorithm '%s' is not supported (use Aes)", alg)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, exc("CryptographicException", "Specified key is not a valid size for this algorithm.")
	}
	if len(iv) != aes.BlockSize {
		return nil, exc("CryptographicException", "Specified initialization vector (IV) does not match the block size for this algorithm.")
	}
	if encrypt {
		pad := aes.BlockSize - len(in)%aes.BlockSize
		buf := append(append([]byte{}, in...), bytes.Repeat([]byte{byte(pad)}, pad)...)
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf)
		return buf, nil
	}
	if len(in) == 0 || len(in)%aes.BlockSize != 0 {
		return nil, exc("CryptographicException", "The input data is not a complete block.")
	}
	buf := append([]byte{}, in...)
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(buf, buf)
	pad := int(buf[len(buf)-1])
	if pad == 0 || pad > aes.BlockSize || !bytes.Equal(buf[len(buf)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, exc("CryptographicException", "Padding is invalid and cannot be removed.")
	}
	return buf[:len(buf)-pad], nil
}

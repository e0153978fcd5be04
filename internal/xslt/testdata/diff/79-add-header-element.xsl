<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
<xsl:param name="corr" select="'none'"/><xsl:template match="@*|node()"><xsl:copy><xsl:apply-templates select="@*|node()"/></xsl:copy></xsl:template><xsl:template match="soap:Header"><xsl:copy><xsl:apply-templates select="@*|node()"/><cid xmlns="urn:corr"><xsl:value-of select="$corr"/></cid></xsl:copy></xsl:template>
</xsl:stylesheet>

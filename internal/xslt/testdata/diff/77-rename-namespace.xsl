<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:old="urn:old" xmlns:new="urn:new">
<xsl:template match="@*|node()"><xsl:copy><xsl:apply-templates select="@*|node()"/></xsl:copy></xsl:template><xsl:template match="old:*"><xsl:element name="new:{local-name()}" namespace="urn:new"><xsl:apply-templates select="@*|node()"/></xsl:element></xsl:template>
</xsl:stylesheet>

<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:for-each select="//*[local-name()='in']/namespace::*"><xsl:sort select="name()"/><ns p="{name()}" u="{.}"/></xsl:for-each><c><xsl:value-of select="count(//*/namespace::*)"/></c></r></xsl:template>
</xsl:stylesheet>
